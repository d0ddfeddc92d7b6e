// Package runner starts the user's program with the secrets in its
// environment: it builds the environment (never with envsafe's own key in
// it), finds the program the way a shell would, and hands the process over
// to it (execve on Unix) so signals, the exit status, the terminal and job
// control belong to the program. No shell is ever involved and no value is
// ever expanded.
package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
)

// MaxVarSize is Linux's MAX_ARG_STRLEN: the kernel refuses to start a
// program with any single NAME=VALUE longer than this (E2BIG).
const MaxVarSize = 32 * 4096

var (
	// ErrNotFound is a command that is on no PATH entry (exit 127).
	ErrNotFound = errors.New("command not found")
	// ErrNotExecutable is a command that exists but cannot be run (exit 126).
	ErrNotExecutable = errors.New("not executable")
)

// ExitError carries the status a child ended with, where the process was not
// replaced (Windows), so envsafe can exit with the same status.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("command exited with status %d", e.Code) }

// Secrets is what BuildEnv needs of the decrypted environment; a
// *payload.Payload is one, so no copy of 10,000 secrets is made.
type Secrets interface {
	Len() int
	Lookup(name string) (string, bool)
	All() iter.Seq2[string, string]
}

// Map adapts a plain map to Secrets.
type Map map[string]string

// Len is the number of secrets.
func (m Map) Len() int { return len(m) }

// Lookup returns a secret's value.
func (m Map) Lookup(name string) (string, bool) { v, ok := m[name]; return v, ok }

// All yields every secret.
func (m Map) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for k, v := range m {
			if !yield(k, v) {
				return
			}
		}
	}
}

// Env is the environment for the child and what the user should hear about.
type Env struct {
	Vars []string
	// Shadowed names inherited variables that a secret replaced with a different value.
	Shadowed []string
	// Risky names secrets that change how programs load code (LD_PRELOAD...).
	Risky []string
}

// keyVars hold envsafe's own key material: the secret key text and the path
// of the key file. They are identity.EnvIdentity and identity.EnvIdentityFile
// (a test keeps them equal); runner does not import identity, which would
// bring the keychain into every program start.
var keyVars = [...]string{"ENVSAFE_IDENTITY", "ENVSAFE_IDENTITY_FILE"}

// isKeyVar reports whether an inherited variable is envsafe's key material,
// which no program envsafe starts may see: that key opens every environment
// and every old version, while the program needs only this environment's
// secrets. Windows spells variable names in any case.
func isKeyVar(name string) bool {
	for _, k := range keyVars {
		if name == k || (runtime.GOOS == "windows" && strings.EqualFold(name, k)) {
			return true
		}
	}
	return false
}

// ChildEnviron is the inherited environment without envsafe's own key
// material (ENVSAFE_IDENTITY, ENVSAFE_IDENTITY_FILE), for any program envsafe
// starts that gets no secrets of its own, such as the editor. It is never
// nil: a nil exec.Cmd.Env would hand over the whole process environment,
// key included.
func ChildEnviron(inherited []string) []string {
	out := make([]string, 0, len(inherited))
	for _, kv := range inherited {
		if name, _, _ := strings.Cut(kv, "="); !isKeyVar(name) {
			out = append(out, kv)
		}
	}
	return out
}

// BuildEnv overlays secrets on the inherited environment. A secret wins over
// an inherited variable (the encrypted file is the source of truth) unless
// its name is in preserve. envsafe's own key material is dropped from what is
// inherited, as in ChildEnviron, whatever preserve says (a secret of that
// name is the environment's own value and is passed on). Order does not
// matter to programs, so secrets are not sorted: with 10,000 of them sorting
// would cost more than the rest of the work together. All NAME=VALUE strings
// share one allocation.
func BuildEnv(inherited []string, secrets Secrets, preserve []string) Env {
	return buildEnv(inherited, secrets, preserve, runtime.GOOS == "windows")
}

// buildEnv is BuildEnv; fold compares names without regard to case, as
// Windows does (a secret Path replaces PATH there, and --preserve-env PATH
// keeps Path). fold is a parameter so both forms are tested everywhere.
func buildEnv(inherited []string, secrets Secrets, preserve []string, fold bool) Env {
	var e Env
	key := func(name string) string { return name }
	if fold {
		key = strings.ToUpper
	}
	preserved := make(map[string]bool, len(preserve))
	for _, name := range preserve {
		preserved[key(name)] = true
	}
	// lookup finds the secret an inherited name refers to; with fold, a
	// secret spelled in another case (found through secretNames) counts.
	lookup := secrets.Lookup
	if fold {
		secretNames := make(map[string]string, secrets.Len())
		for name := range secrets.All() {
			secretNames[key(name)] = name
		}
		lookup = func(name string) (string, bool) {
			if exact, ok := secretNames[key(name)]; ok {
				return secrets.Lookup(exact)
			}
			return "", false
		}
	}
	inheritedValue := make(map[string]string, len(inherited))
	vars := make([]string, 0, len(inherited)+secrets.Len())
	for _, kv := range inherited {
		name, value, _ := strings.Cut(kv, "=")
		if isKeyVar(name) {
			continue
		}
		if _, dup := inheritedValue[key(name)]; dup {
			continue
		}
		inheritedValue[key(name)] = value
		secret, ok := lookup(name)
		switch {
		case !ok:
			vars = append(vars, kv)
		case preserved[key(name)]:
			vars = append(vars, kv)
		case value != secret:
			e.Shadowed = append(e.Shadowed, name)
		}
	}
	size := 0
	for name, value := range secrets.All() {
		size += len(name) + 1 + len(value)
	}
	var b strings.Builder
	b.Grow(size)
	type span struct{ start, end int }
	spans := make([]span, 0, secrets.Len())
	for name, value := range secrets.All() {
		if LoadsCode(name) {
			e.Risky = append(e.Risky, name)
		}
		if _, inherited := inheritedValue[key(name)]; inherited && preserved[key(name)] {
			continue // the inherited value was kept above
		}
		start := b.Len()
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(value)
		spans = append(spans, span{start, b.Len()})
	}
	all := b.String()
	for _, sp := range spans {
		vars = append(vars, all[sp.start:sp.end])
	}
	sort.Strings(e.Shadowed)
	sort.Strings(e.Risky)
	e.Vars = vars
	return e
}

// CheckSizes names every variable the kernel would refuse to pass on. Only
// Linux has a per-variable limit.
func CheckSizes(vars []string) error {
	if runtime.GOOS != "linux" {
		return nil
	}
	var tooBig []string
	for _, kv := range vars {
		if len(kv)+1 > MaxVarSize {
			name, _, _ := strings.Cut(kv, "=")
			tooBig = append(tooBig, fmt.Sprintf("%s (%d KiB)", name, len(kv)>>10))
		}
	}
	if len(tooBig) > 0 {
		return fmt.Errorf("too large for an environment variable (Linux allows %d KiB each): %s", MaxVarSize>>10, strings.Join(tooBig, ", "))
	}
	return nil
}

// LargestVars lists the biggest variables, for explaining an E2BIG.
func LargestVars(vars []string, n int) string {
	sorted := slices.Clone(vars)
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	var out []string
	for _, kv := range sorted[:min(n, len(sorted))] {
		name, _, _ := strings.Cut(kv, "=")
		out = append(out, fmt.Sprintf("%s (%d KiB)", name, len(kv)>>10))
	}
	return strings.Join(out, ", ")
}

// LookPath finds cmd the way the OS's shell would. On Unix, like a POSIX
// shell: a name with a slash is used as is, otherwise the first executable
// regular file on path. On Windows, like cmd.exe (see pathExts): a name
// without a program extension is tried with each PATHEXT extension in each
// folder, so an extension-less file never hides tool.bat further on. A match
// that is not executable (or is a folder, or on Windows has no program
// extension) is ErrNotExecutable, nothing at all is ErrNotFound.
func LookPath(cmd, path string) (string, error) {
	return lookPath(cmd, path, pathExts())
}

// lookPath is LookPath with the program extensions as a parameter: nil on
// Unix, PATHEXT's list (lower case, with dots) on Windows, so the Windows
// rules are tested everywhere.
func lookPath(cmd, path string, exts []string) (string, error) {
	if cmd == "" {
		return "", fmt.Errorf("%w: empty command name", ErrNotFound)
	}
	if strings.ContainsRune(cmd, os.PathSeparator) || (exts != nil && strings.ContainsAny(cmd, `/\:`)) {
		return findIn(cmd, exts)
	}
	var denied error
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue // an empty entry means "." to some shells; envsafe does not search the current folder
		}
		found, err := findIn(filepath.Join(dir, cmd), exts)
		if err == nil {
			return found, nil
		}
		if errors.Is(err, ErrNotExecutable) && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", denied
	}
	return "", fmt.Errorf("%s: %w", cmd, ErrNotFound)
}

// findIn checks one place for the program: on Unix the file itself; on
// Windows, as cmd.exe does, the name as given only when its extension is a
// program extension, then the name with each extension added.
func findIn(path string, exts []string) (string, error) {
	if exts == nil {
		return path, checkExecutable(path, false)
	}
	var denied error
	if hasExt(path, exts) {
		err := checkExecutable(path, true)
		if err == nil {
			return path, nil
		}
		if errors.Is(err, ErrNotExecutable) {
			denied = err
		}
	}
	for _, ext := range exts {
		err := checkExecutable(path+ext, true)
		if err == nil {
			return path + ext, nil
		}
		if errors.Is(err, ErrNotExecutable) && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", denied
	}
	if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
		return "", fmt.Errorf("%s: %w (Windows runs only files ending in %s)", path, ErrNotExecutable, strings.Join(exts, " "))
	}
	return "", fmt.Errorf("%s: %w", path, ErrNotFound)
}

// hasExt reports whether path ends in one of the program extensions.
func hasExt(path string, exts []string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext != "" && slices.Contains(exts, ext)
}

// parsePathExt turns a PATHEXT value into lower-case extensions with their
// dots, as cmd.exe reads it; empty means cmd.exe's own default list.
func parsePathExt(v string) []string {
	var exts []string
	for _, e := range strings.Split(strings.ToLower(v), ";") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if !strings.HasPrefix(e, ".") {
			e = "." + e
		}
		if !slices.Contains(exts, e) {
			exts = append(exts, e)
		}
	}
	if len(exts) == 0 {
		exts = []string{".com", ".exe", ".bat", ".cmd"}
	}
	return exts
}

func checkExecutable(path string, windows bool) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: %w", path, ErrNotFound)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s: %w (permission denied)", path, ErrNotExecutable)
	case err != nil:
		return fmt.Errorf("%s: %w", path, err)
	case fi.IsDir():
		return fmt.Errorf("%s: %w (it is a folder)", path, ErrNotExecutable)
	case !windows && fi.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("%s: %w (no execute permission)", path, ErrNotExecutable)
	}
	return nil
}
