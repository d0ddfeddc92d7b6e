package runner

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/envsafe/envsafe/internal/identity"
)

func TestBuildEnvSecretsWinUnlessPreserved(t *testing.T) {
	inherited := []string{"HOME=/home/a", "API_KEY=old", "SAME=1", "KEEP=mine", "PATH=/bin"}
	secrets := Map{"API_KEY": "new", "SAME": "1", "KEEP": "theirs", "NEW": "x$HOME", "LD_PRELOAD": "/evil.so"}
	e := BuildEnv(inherited, secrets, []string{"KEEP"})
	want := []string{"API_KEY=new", "HOME=/home/a", "KEEP=mine", "LD_PRELOAD=/evil.so", "NEW=x$HOME", "PATH=/bin", "SAME=1"}
	got := slices.Sorted(slices.Values(e.Vars))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Vars =\n%q\nwant\n%q", e.Vars, want)
	}
	if !reflect.DeepEqual(e.Shadowed, []string{"API_KEY"}) {
		t.Fatalf("Shadowed = %q: only a different inherited value is worth a warning", e.Shadowed)
	}
	if !reflect.DeepEqual(e.Risky, []string{"LD_PRELOAD"}) {
		t.Fatalf("Risky = %q", e.Risky)
	}
}

func TestBuildEnvKeepsOneCopyOfDuplicatedInheritedNames(t *testing.T) {
	e := BuildEnv([]string{"A=1", "A=2"}, Map{"A": "s"}, nil)
	if !reflect.DeepEqual(e.Vars, []string{"A=s"}) {
		t.Fatalf("Vars = %q", e.Vars)
	}
}

func TestRiskyNames(t *testing.T) {
	for _, n := range []string{"LD_LIBRARY_PATH", "DYLD_INSERT_LIBRARIES", "NODE_OPTIONS", "PYTHONPATH", "PATH", "BASH_ENV"} {
		if !LoadsCode(n) {
			t.Errorf("%s not flagged", n)
		}
	}
	for _, n := range []string{"DATABASE_URL", "API_KEY", "NODE_ENV", "MYPATH"} {
		if LoadsCode(n) {
			t.Errorf("%s flagged", n)
		}
	}
}

func TestCheckSizesNamesTheVariable(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("per-variable limit is Linux's")
	}
	big := "BIG=" + strings.Repeat("x", MaxVarSize)
	err := CheckSizes([]string{"A=1", big})
	if err == nil || !strings.Contains(err.Error(), "BIG (") || strings.Contains(err.Error(), "xxxx") {
		t.Fatalf("CheckSizes() = %v", err)
	}
	if err := CheckSizes([]string{"OK=" + strings.Repeat("x", MaxVarSize-10)}); err != nil {
		t.Fatalf("a value under the limit refused: %v", err)
	}
}

func TestLookPath(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permissions")
	}
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("#!/bin/sh\n"), mode)
		return p
	}
	exe := write("tool", 0o755)
	noexec := write("plain", 0o644)
	os.Mkdir(filepath.Join(dir, "folder"), 0o755)
	other := t.TempDir()
	path := other + string(os.PathListSeparator) + dir

	if got, err := LookPath("tool", path); err != nil || got != exe {
		t.Fatalf("LookPath(tool) = %q, %v", got, err)
	}
	if _, err := LookPath("plain", path); !errors.Is(err, ErrNotExecutable) {
		t.Fatalf("non-executable on PATH: %v, want ErrNotExecutable", err)
	}
	if _, err := LookPath("folder", path); !errors.Is(err, ErrNotExecutable) {
		t.Fatalf("folder on PATH: %v, want ErrNotExecutable", err)
	}
	if _, err := LookPath("missing", path); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v, want ErrNotFound", err)
	}
	if _, err := LookPath(noexec, ""); !errors.Is(err, ErrNotExecutable) {
		t.Fatalf("path with slash, not executable: %v", err)
	}
	if got, err := LookPath(exe, ""); err != nil || got != exe {
		t.Fatalf("path with slash: %q, %v", got, err)
	}
}

// The attack: a program started by `envsafe run` (or the editor) reads the
// key that opens every environment from its own environment.
func TestBuildEnvDropsEnvsafesKey(t *testing.T) {
	inherited := []string{"HOME=/home/a", "ENVSAFE_IDENTITY=AGE-SECRET-KEY-1TEST", "ENVSAFE_IDENTITY_FILE=/home/a/key.txt", "ENVSAFE_ENV=dev"}
	e := BuildEnv(inherited, Map{"API_KEY": "s"}, []string{"ENVSAFE_IDENTITY", "ENVSAFE_IDENTITY_FILE"})
	got := slices.Sorted(slices.Values(e.Vars))
	want := []string{"API_KEY=s", "ENVSAFE_ENV=dev", "HOME=/home/a"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Vars = %q, want %q: --preserve-env must not bring the key back either", got, want)
	}
	if len(e.Shadowed) != 0 {
		t.Fatalf("Shadowed = %q", e.Shadowed)
	}
}

func TestBuildEnvPassesASecretNamedLikeTheKey(t *testing.T) {
	e := BuildEnv([]string{"ENVSAFE_IDENTITY=mine"}, Map{"ENVSAFE_IDENTITY": "the-environments"}, []string{"ENVSAFE_IDENTITY"})
	if !reflect.DeepEqual(e.Vars, []string{"ENVSAFE_IDENTITY=the-environments"}) {
		t.Fatalf("Vars = %q: the secret is the environment's own value; the inherited key must not win", e.Vars)
	}
}

func TestChildEnviron(t *testing.T) {
	got := ChildEnviron([]string{"A=1", "ENVSAFE_IDENTITY=AGE-SECRET-KEY-1TEST", "ENVSAFE_IDENTITY_FILE=/k", "ENVSAFE_IDENTITY_FILES=/other", "B="})
	if want := []string{"A=1", "ENVSAFE_IDENTITY_FILES=/other", "B="}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ChildEnviron = %q, want %q", got, want)
	}
	if runtime.GOOS == "windows" {
		if got := ChildEnviron([]string{"Envsafe_Identity=x"}); len(got) != 0 {
			t.Fatalf("Windows names are case-insensitive: %q", got)
		}
	}
	if got := ChildEnviron(nil); got == nil {
		t.Fatal("ChildEnviron(nil) = nil: exec.Cmd would then pass the whole process environment")
	}
}

func TestKeyVarsAreTheIdentityVariables(t *testing.T) {
	if keyVars != [...]string{identity.EnvIdentity, identity.EnvIdentityFile} {
		t.Fatalf("keyVars = %q, but identity reads %s and %s", keyVars, identity.EnvIdentity, identity.EnvIdentityFile)
	}
}

func TestLoadsCode(t *testing.T) {
	for name, want := range map[string]bool{
		"LD_PRELOAD": true, "DYLD_INSERT_LIBRARIES": true, "NODE_OPTIONS": true,
		"GIT_CONFIG_COUNT": true, "GIT_CONFIG_KEY_0": true, "GIT_CONFIG_VALUE_0": true,
		"GIT_SSH_COMMAND": true, "SSH_ASKPASS": true, "GIT_ASKPASS": true,
		"HTTPS_PROXY": true, "https_proxy": true, "ALL_PROXY": true, "SSL_CERT_FILE": true,
		"NODE_EXTRA_CA_CERTS": true, "NODE_TLS_REJECT_UNAUTHORIZED": true,
		"DOTNET_STARTUP_HOOKS": true, "JAVA_TOOL_OPTIONS": true, "PERL5OPT": true,
		"RUBYOPT": true, "PHPRC": true, "LESSOPEN": true, "npm_config_registry": true, "ENVSAFE_IDENTITY": true,
		"DATABASE_URL": false, "API_KEY": false, "NODE_ENV": false, "PATHS": false,
		"ASKPASS_HINT": false, "GIT_CONFIG": false,
	} {
		if got := LoadsCode(name); got != want {
			t.Errorf("LoadsCode(%q) = %v, want %v", name, got, want)
		}
	}
}

// The README documents the code-loading table; every entry must be there.
func TestREADMEListsEveryCodeLoadingVariable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range CodeLoadingVars {
		row := "| `" + v.Pattern + "` | " + v.Effect + " |"
		if !strings.Contains(string(readme), row) {
			t.Errorf("README.md lacks the row %s", row)
		}
	}
}
