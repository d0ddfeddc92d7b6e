package runner

import "strings"

// CodeLoadingVar is one entry of the table of variables that change which
// code a program, its interpreter or its tools load, or where they send
// traffic and whom they trust. A secrets file is writable by anyone who can
// push to the repository, so setting one of these deserves a warning.
type CodeLoadingVar struct {
	// Pattern is a name, a prefix ending in "*" or a suffix starting with "*".
	Pattern string
	// Effect says what setting it can do, for the README.
	Effect string
}

// CodeLoadingVars is the one table of such variables; the README lists it
// (a test keeps the two in step).
var CodeLoadingVars = []CodeLoadingVar{
	{"LD_*", "dynamic loader: preload or redirect shared libraries (Linux)"},
	{"DYLD_*", "dynamic loader: insert libraries (macOS)"},
	{"PATH", "which program a bare command name runs"},
	{"BASH_ENV", "a file every non-interactive bash runs"},
	{"ENV", "a file sh and dash run when interactive"},
	{"SHELLOPTS", "bash options, such as xtrace with PS4"},
	{"PS4", "runs command substitutions when bash traces"},
	{"PROMPT_COMMAND", "a command bash runs before each prompt"},
	{"IFS", "how shells split words"},
	{"CDPATH", "where cd looks, changing what scripts open"},
	{"NODE_OPTIONS", "Node.js flags, such as --require of any file"},
	{"NODE_PATH", "where Node.js finds modules"},
	{"NODE_EXTRA_CA_CERTS", "extra certificate authorities Node.js trusts"},
	{"NODE_TLS_REJECT_UNAUTHORIZED", "0 turns off TLS certificate checks in Node.js"},
	{"PYTHONPATH", "where Python finds modules"},
	{"PYTHONSTARTUP", "a file interactive Python runs"},
	{"PYTHONHOME", "which Python standard library loads"},
	{"PYTHONINSPECT", "drops Python into a prompt after the script"},
	{"PERL5LIB", "where Perl finds modules"},
	{"PERLLIB", "where Perl finds modules"},
	{"PERL5OPT", "Perl flags, such as -M of any module"},
	{"RUBYOPT", "Ruby flags, such as -r of any file"},
	{"RUBYLIB", "where Ruby finds libraries"},
	{"GEM_PATH", "where Ruby finds gems"},
	{"PHPRC", "which php.ini loads (auto_prepend_file)"},
	{"PHP_INI_SCAN_DIR", "extra php.ini files"},
	{"JAVA_TOOL_OPTIONS", "JVM flags, such as -javaagent"},
	{"_JAVA_OPTIONS", "JVM flags"},
	{"JDK_JAVA_OPTIONS", "JVM flags for the java launcher"},
	{"CLASSPATH", "where Java finds classes"},
	{"DOTNET_STARTUP_HOOKS", "assemblies .NET loads before Main"},
	{"GCONV_PATH", "glibc character-set modules (shared libraries)"},
	{"LOCPATH", "glibc locale files"},
	{"HOSTALIASES", "host name aliases for the resolver"},
	{"GIT_SSH_COMMAND", "the command git runs to reach a remote"},
	{"GIT_SSH", "the program git runs to reach a remote"},
	{"GIT_PROXY_COMMAND", "a command git runs for git:// remotes"},
	{"GIT_EXEC_PATH", "where git finds its own programs"},
	{"GIT_CONFIG_GLOBAL", "which git configuration file loads"},
	{"GIT_CONFIG_COUNT", "git configuration from the environment (core.fsmonitor runs a command)"},
	{"GIT_CONFIG_KEY_*", "git configuration from the environment"},
	{"GIT_CONFIG_VALUE_*", "git configuration from the environment"},
	{"GIT_CONFIG_PARAMETERS", "git configuration from the environment"},
	{"*_ASKPASS", "a program run to ask for a password (SSH_ASKPASS, GIT_ASKPASS, SUDO_ASKPASS)"},
	{"EDITOR", "the program run to edit a file"},
	{"VISUAL", "the program run to edit a file"},
	{"PAGER", "the program run to page output"},
	{"GIT_PAGER", "the program git runs to page output"},
	{"LESSOPEN", "a command less runs on every file it opens"},
	{"LESSCLOSE", "a command less runs after each file"},
	{"HTTP_PROXY", "where HTTP traffic is sent"},
	{"HTTPS_PROXY", "where HTTPS traffic is sent"},
	{"ALL_PROXY", "where all traffic is sent"},
	{"NO_PROXY", "which hosts skip the proxy"},
	{"SSL_CERT_FILE", "which certificate authorities OpenSSL and Go trust"},
	{"SSL_CERT_DIR", "which certificate authorities OpenSSL and Go trust"},
	{"CURL_CA_BUNDLE", "which certificate authorities curl trusts"},
	{"REQUESTS_CA_BUNDLE", "which certificate authorities Python requests trusts"},
	{"NPM_CONFIG_*", "any npm setting, such as the registry or scripts' shell"},
	{"GIT_CONFIG_SYSTEM", "which system git configuration file loads"},
	{"GIT_DIR", "which repository git works on (its hooks and configuration)"},
	{"GIT_TEMPLATE_DIR", "hooks copied into new repositories"},
	{"GIT_EXTERNAL_DIFF", "a program git runs for diffs"},
	{"XDG_CONFIG_HOME", "where git and many tools read their configuration"},
	{"HOME", "where every tool reads its configuration (.gitconfig, .npmrc...)"},
	{"ZDOTDIR", "where zsh reads its startup files"},
	{"BROWSER", "the program run to open a link"},
	{"PYTHONWARNINGS", "imports the module a warning filter names"},
	{"PYTHONBREAKPOINT", "the function breakpoint() imports and runs"},
	{"PYTHONUSERBASE", "where Python finds user site-packages"},
	{"PIP_INDEX_URL", "where pip downloads packages"},
	{"PIP_EXTRA_INDEX_URL", "extra places pip downloads packages"},
	{"NODE_REPL_EXTERNAL_MODULE", "a module node loads instead of its REPL"},
	{"LUA_INIT", "Lua code run at start"},
	{"LUA_PATH", "where Lua finds modules"},
	{"LUA_CPATH", "where Lua finds native modules"},
	{"GOFLAGS", "go command flags, such as -toolexec"},
	{"RUSTC_WRAPPER", "a program cargo runs around the compiler"},
	{"MAVEN_OPTS", "JVM flags for Maven"},
	{"GRADLE_OPTS", "JVM flags for Gradle"},
	{"BUNDLE_GEMFILE", "which Gemfile bundler loads"},
	{"DOCKER_HOST", "which Docker engine commands go to"},
	{"SSLKEYLOGFILE", "a file TLS libraries write session keys to"},
	{"ENVSAFE_*", "envsafe's own settings: a key or key file a program using pkg/envsafe would decrypt with"},
}

// The table compiled into a map and two short lists, so that `run` pays
// one lookup per secret, not a scan of the table.
var (
	codeLoadingExact    = patterns(func(p string) (string, bool) { return p, !strings.ContainsRune(p, '*') })
	codeLoadingPrefixes = keys(patterns(func(p string) (string, bool) { return strings.CutSuffix(p, "*") }))
	codeLoadingSuffixes = keys(patterns(func(p string) (string, bool) { return strings.CutPrefix(p, "*") }))
)

// patterns keeps the table entries pick accepts, as pick rewrites them.
func patterns(pick func(string) (string, bool)) map[string]bool {
	out := map[string]bool{}
	for _, v := range CodeLoadingVars {
		if p, ok := pick(v.Pattern); ok {
			out[p] = true
		}
	}
	return out
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// LoadsCode reports whether a variable of this name is in CodeLoadingVars.
// Names are compared without regard to case: proxies and npm read
// http_proxy and npm_config_* in lower case, and Windows ignores case.
func LoadsCode(name string) bool {
	upper := strings.ToUpper(name)
	if codeLoadingExact[upper] {
		return true
	}
	for _, p := range codeLoadingPrefixes {
		if strings.HasPrefix(upper, p) {
			return true
		}
	}
	for _, s := range codeLoadingSuffixes {
		if strings.HasSuffix(upper, s) {
			return true
		}
	}
	return false
}
