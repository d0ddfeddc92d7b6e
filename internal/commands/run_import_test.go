package commands

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/envsafe/envsafe/internal/runner"
)

// execCall records what `run` would have replaced the process with.
type execCall struct {
	path string
	args []string
	env  []string
}

func (h *harness) recordExec() *[]execCall {
	var calls []execCall
	h.deps.Exec = func(_ context.Context, path string, args, env []string) error {
		calls = append(calls, execCall{path, args, env})
		return nil
	}
	return &calls
}

func TestRunHandsSecretsAndArgsToExec(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	h.must("set", "API_KEY=secret", "PORT=3000")
	calls := h.recordExec()
	h.deps.Environ = func() []string { return []string{"PATH=/usr/bin:/bin", "PORT=8080", "HOME=/h"} }
	h.env["PATH"] = "/usr/bin:/bin"
	h.must("run", "--preserve-env", "PORT", "--", "sh", "-c", "echo $API_KEY")
	if len(*calls) != 1 {
		t.Fatalf("exec called %d times", len(*calls))
	}
	c := (*calls)[0]
	if !strings.HasSuffix(c.path, "/sh") || !slices.Equal(c.args, []string{"sh", "-c", "echo $API_KEY"}) {
		t.Fatalf("exec(%q, %q)", c.path, c.args)
	}
	for _, want := range []string{"API_KEY=secret", "PORT=8080", "HOME=/h"} {
		if !slices.Contains(c.env, want) {
			t.Errorf("child environment lacks %s: %q", want, c.env)
		}
	}
	if h.stdout.Len() != 0 {
		t.Fatalf("run printed on stdout: %q", h.stdout)
	}
}

func TestRunMapsChildExitOnWindowsStyleExec(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	h.deps.Environ = os.Environ
	h.env["PATH"] = os.Getenv("PATH")
	h.deps.Exec = func(context.Context, string, []string, []string) error { return &runner.ExitError{Code: 7} }
	if code := h.run("run", "--", "sh"); code != 7 {
		t.Fatalf("exit %d, want the child's 7", code)
	}
	if h.stderr.Len() != 0 {
		t.Fatalf("envsafe commented on the program's own exit: %q", h.stderr)
	}
}

func TestImportOffersGitignoreOnTerminal(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	os.WriteFile(filepath.Join(h.deps.Dir, ".env"), []byte("A=1\n"), 0o600)
	os.WriteFile(filepath.Join(h.deps.Dir, ".gitignore"), []byte("node_modules"), 0o644)
	h.deps.StdinIsTTY = true
	h.script.Answers = []string{"y"}
	h.must("import")
	data, _ := os.ReadFile(filepath.Join(h.deps.Dir, ".gitignore"))
	if string(data) != "node_modules\n# plaintext secrets stay out of git; envsafe keeps them in .envsafe/\n.env\n.env.*\n" {
		t.Fatalf(".gitignore = %q", data)
	}
	// Covered now: no second offer.
	h.script.Asked = nil
	h.must("import")
	if len(h.script.Asked) != 0 {
		t.Fatalf("asked again: %q", h.script.Asked)
	}
}

func TestGitignoreHidingEnvsafeIsWarned(t *testing.T) {
	for _, c := range []struct {
		gitignore string
		warn      bool
	}{
		{".env*\n", true},
		{".env*\n!.envsafe/\n", false},
		{".env\n.env.*\n", false},
		{"/.envsafe\n", true},
	} {
		h := newHarness(t)
		os.WriteFile(filepath.Join(h.deps.Dir, ".gitignore"), []byte(c.gitignore), 0o644)
		h.must("init")
		if got := strings.Contains(h.stderr.String(), "also ignores .envsafe/"); got != c.warn {
			t.Errorf(".gitignore %q: warned = %v, want %v", c.gitignore, got, c.warn)
		}
	}
}

// TestRunPathTouchesNothingItDoesNotNeed: with ENVSAFE_IDENTITY and -e,
// `run` must not ask the keychain or parse team.yaml — each costs time on
// every command a developer starts.
func TestRunPathTouchesNothingItDoesNotNeed(t *testing.T) {
	h := newHarness(t)
	h.must("init", "-e", "production")
	h.must("set", "-e", "production", "A=1")
	secret := h.kc.Entries()["identity"]
	h.env["ENVSAFE_IDENTITY"] = secret
	h.kc.Err = errors.New("the keychain was asked")
	team := filepath.Join(h.deps.Dir, ".envsafe", "team.yaml")
	if err := os.WriteFile(team, []byte("{{ not yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	calls := h.recordExec()
	h.deps.Environ = func() []string { return nil }
	h.env["PATH"] = os.Getenv("PATH")
	if code := h.run("run", "-e", "production", "--", "true"); code != 0 {
		t.Fatalf("exit %d: %s", code, h.stderr)
	}
	if len(*calls) != 1 || !slices.Contains((*calls)[0].env, "A=1") {
		t.Fatalf("exec calls %+v", *calls)
	}
	// Without -e the default comes from team.yaml, which is now broken.
	if code := h.run("run", "--", "true"); code != ExitRunFailed {
		t.Fatalf("exit %d: team.yaml should have been read for the default", code)
	}
}

// A .gitignore that already ignores .env gets only .env.*, not .env again.
func TestImportGitignoreAddsOnlyWhatIsMissing(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	os.WriteFile(filepath.Join(h.deps.Dir, ".env"), []byte("A=1\n"), 0o600)
	os.WriteFile(filepath.Join(h.deps.Dir, ".gitignore"), []byte(".env\n"), 0o644)
	h.deps.StdinIsTTY = true
	h.script.Answers = []string{"y", "n"} // .gitignore: yes; hook: no
	h.must("import")
	data, _ := os.ReadFile(filepath.Join(h.deps.Dir, ".gitignore"))
	if string(data) != ".env\n# plaintext secrets stay out of git; envsafe keeps them in .envsafe/\n.env.*\n" {
		t.Fatalf(".gitignore = %q", data)
	}
}
