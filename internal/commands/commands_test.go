package commands

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/keychain"
	"github.com/envsafe/envsafe/internal/migrate"
	"github.com/envsafe/envsafe/internal/prompt"
	"github.com/envsafe/envsafe/internal/store"
)

// harness is envsafe with fake dependencies: buffers for the streams, an
// in-memory keychain, a scripted prompter and a fixed clock.
type harness struct {
	t      *testing.T
	deps   *Deps
	kc     *keychain.Memory
	script *prompt.Script
	env    map[string]string
	stdout *bytes.Buffer
	stderr *bytes.Buffer
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, kc: keychain.NewMemory(), script: &prompt.Script{}, env: map[string]string{},
		stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	h.deps = &Deps{
		Stdin:       strings.NewReader(""),
		Stdout:      h.stdout,
		Stderr:      h.stderr,
		Prompter:    h.script,
		Keychain:    h.kc,
		LookupEnv:   func(k string) (string, bool) { v, ok := h.env[k]; return v, ok },
		Now:         func() time.Time { return time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC) },
		Dir:         t.TempDir(),
		GitUserName: func() string { return "Alice Example" },
		Version:     "test",
	}
	return h
}

// run executes one command line and returns its exit code; output stays in
// the buffers until the next run.
func (h *harness) run(args ...string) int {
	h.stdout.Reset()
	h.stderr.Reset()
	return Main(context.Background(), append([]string{"envsafe"}, args...), h.deps)
}

func (h *harness) must(args ...string) {
	h.t.Helper()
	if code := h.run(args...); code != 0 {
		h.t.Fatalf("envsafe %s: exit %d\n%s", strings.Join(args, " "), code, h.stderr)
	}
}

// Without a git name the member is named by account and host, so that two
// newcomers' defaults do not both read "me".
func TestDefaultMemberNameIsAccountAndHost(t *testing.T) {
	h := newHarness(t)
	h.deps.GitUserName = func() string { return "" }
	h.env["USER"] = "Dana"
	host, _ := os.Hostname()
	host, _, _ = strings.Cut(strings.ToLower(host), ".")
	if got, want := defaultMemberName(h.deps), "dana@"+host; host != "" && got != want {
		t.Fatalf("default member name %q, want %q", got, want)
	}
	delete(h.env, "USER")
	if got := defaultMemberName(h.deps); got == "me" || got == "" {
		t.Fatalf("default member name %q without USER", got)
	}
}

func TestInitOffTerminalNeverPrompts(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	if len(h.script.Asked) != 0 {
		t.Fatalf("prompted without a terminal: %q", h.script.Asked)
	}
	s, err := store.Find(h.deps.Dir)
	if err != nil {
		t.Fatal(err)
	}
	tm, _ := s.Team()
	if tm.Members[0].Name != "alice-example" || tm.Default != "development" {
		t.Fatalf("defaults not taken from git: %+v", tm)
	}
	if _, ok := h.kc.Entries()[identity.KeychainAccount]; !ok {
		t.Fatal("init did not create an identity in the keychain")
	}
	if !strings.Contains(h.stderr.String(), "Created your identity age1") || h.stdout.Len() != 0 {
		t.Fatalf("stdout %q stderr %q", h.stdout, h.stderr)
	}
}

func TestInitOnTerminalAsksNameAndEnvironments(t *testing.T) {
	h := newHarness(t)
	h.deps.StdinIsTTY = true
	h.script.Answers = []string{"bob", "staging, production"}
	h.must("init")
	if len(h.script.Asked) != 2 {
		t.Fatalf("asked %q", h.script.Asked)
	}
	s, _ := store.Find(h.deps.Dir)
	tm, _ := s.Team()
	if tm.Members[0].Name != "bob" || !reflect.DeepEqual(tm.EnvNames(), []string{"staging", "production"}) || tm.Default != "staging" {
		t.Fatalf("answers not used: %+v", tm)
	}
}

func TestInitWithoutKeychainCreatesNothing(t *testing.T) {
	h := newHarness(t)
	h.kc.Err = fmt.Errorf("%w: no D-Bus session bus", keychain.ErrUnavailable)
	if code := h.run("init"); code != ExitNoIdentity {
		t.Fatalf("exit %d, want %d", code, ExitNoIdentity)
	}
	if _, err := os.Stat(filepath.Join(h.deps.Dir, store.DirName)); !os.IsNotExist(err) {
		t.Fatal("a project was created without an identity")
	}
	for _, want := range []string{"envsafe: error: no identity available", "envsafe: hint: ", "ENVSAFE_IDENTITY_FILE"} {
		if !strings.Contains(h.stderr.String(), want) {
			t.Fatalf("stderr lacks %q:\n%s", want, h.stderr)
		}
	}
}

func TestSetBareNameUsesHiddenPromptOnTerminal(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	h.deps.StdinIsTTY = true
	h.script.Answers = []string{"typed secret"}
	h.must("set", "PASSWORD")
	if !reflect.DeepEqual(h.script.Asked, []string{"Value for PASSWORD"}) {
		t.Fatalf("asked %q", h.script.Asked)
	}
	h.must("get", "PASSWORD")
	if h.stdout.String() != "typed secret" {
		t.Fatalf("stored %q", h.stdout)
	}
	h.script.Answers = []string{""}
	if code := h.run("set", "PASSWORD"); code != ExitUsage {
		t.Fatalf("empty answer: exit %d, want usage", code)
	}
}

func TestSetBareNameReadsStdinOffTerminal(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	h.deps.Stdin = strings.NewReader("line1\nline2\n")
	h.must("set", "MULTI")
	h.must("get", "MULTI")
	if h.stdout.String() != "line1\nline2" {
		t.Fatalf("stored %q", h.stdout)
	}
}

func TestGetAddsNewlineOnlyOnTerminal(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	h.must("set", "A=1")
	h.deps.StdoutIsTTY = true
	h.must("get", "A")
	if h.stdout.String() != "1\n" {
		t.Fatalf("terminal output %q", h.stdout)
	}
}

func TestIdentityExportGuardsTheTerminal(t *testing.T) {
	h := newHarness(t)
	h.must("identity", "new")
	public := strings.TrimSpace(h.stdout.String())
	h.deps.StdoutIsTTY = true
	if code := h.run("identity", "export"); code != ExitFailure || h.stdout.Len() != 0 {
		t.Fatalf("exit %d, stdout %q: must refuse to print to a terminal", code, h.stdout)
	}
	if !strings.Contains(h.stderr.String(), "-o FILE") {
		t.Fatalf("no hint: %s", h.stderr)
	}
	h.must("identity", "export", "--force")
	if !strings.Contains(h.stdout.String(), "AGE-SECRET-KEY-1") || !strings.Contains(h.stdout.String(), "# public key: "+public) {
		t.Fatalf("export output %q", h.stdout)
	}
	if !strings.Contains(h.stderr.String(), "warning: your secret key is on screen") {
		t.Fatalf("no warning on stderr: %q", h.stderr)
	}
	out := filepath.Join(h.deps.Dir, "backup.txt")
	h.must("identity", "export", "-o", "backup.txt")
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", fi, err)
	}
}

func TestIdentityRmAsksOnTerminal(t *testing.T) {
	h := newHarness(t)
	h.must("identity", "new")
	h.deps.StdinIsTTY = true
	h.script.Answers = []string{"n"}
	if code := h.run("identity", "rm"); code != ExitFailure {
		t.Fatalf("declined rm: exit %d", code)
	}
	if len(h.kc.Entries()) != 1 {
		t.Fatal("identity deleted although the user said no")
	}
	h.script.Answers = []string{"y"}
	h.must("identity", "rm")
	if len(h.kc.Entries()) != 0 {
		t.Fatal("identity not deleted")
	}
}

func TestIdentityImportRefusesNonKeysWithoutEchoingThem(t *testing.T) {
	h := newHarness(t)
	h.deps.Stdin = strings.NewReader("hunter2 password\n")
	if code := h.run("identity", "import"); code == 0 {
		t.Fatal("imported garbage")
	}
	if strings.Contains(h.stderr.String(), "hunter2") {
		t.Fatalf("error echoes the input: %s", h.stderr)
	}
}

func TestExitCode(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("x"), 1},
		{usagef("set", "bad"), 2},
		{fmt.Errorf("read: %w", store.ErrNotRecipient), 3},
		{fmt.Errorf("x: %w", identity.ErrNoIdentity), 4},
		{fmt.Errorf("x: %w", keychain.ErrUnavailable), 4},
		{fmt.Errorf("x: %w", store.ErrIntegrity), 5},
		{fmt.Errorf("x: %w", migrate.ErrIntegrity), 5},
		{fmt.Errorf("x: %w", migrate.ErrNoKey), 3},
		{context.Canceled, 130},
		{prompt.ErrInterrupted, 130},
	}
	for _, c := range cases {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

func TestReorderArgs(t *testing.T) {
	app := NewApp(newHarness(t).deps)
	cases := []struct{ in, want string }{
		{"set A=1 -e prod", "set -e prod -- A=1"},
		{"set -e prod A=1", "set -e prod -- A=1"},
		{"set A=1 --env=prod B=2", "set --env=prod -- A=1 B=2"},
		{"set -- -A=1 -e", "set -- -A=1 -e"},
		{"set KEY --file key.pem", "set --file key.pem -- KEY"},
		{"ls --long -e x", "ls --long -e x"},
		{"identity new --pq", "identity new --pq"},
		{"identity import - ", "identity import -- -"},
		{"bogus -e x", "bogus -e x"},
	}
	for _, c := range cases {
		got := strings.Join(reorderArgs(app, append([]string{"envsafe"}, strings.Fields(c.in)...))[1:], " ")
		if got != c.want {
			t.Errorf("reorderArgs(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestHelpIsOnStdoutAndMentionsExamples(t *testing.T) {
	h := newHarness(t)
	for _, cmd := range [][]string{{"--help"}, {"set", "--help"}, {"identity", "--help"}, {"help", "ls"}} {
		if code := h.run(cmd...); code != 0 {
			t.Fatalf("%v: exit %d: %s", cmd, code, h.stderr)
		}
		if h.stdout.Len() == 0 || h.stderr.Len() != 0 {
			t.Fatalf("%v: help must go to stdout only (stdout %d bytes, stderr %q)", cmd, h.stdout.Len(), h.stderr)
		}
	}
}
