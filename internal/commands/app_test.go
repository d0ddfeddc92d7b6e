package commands

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/envsafe/envsafe/internal/keychain"
	"github.com/envsafe/envsafe/internal/store"

	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/terminal"
)

func TestVersionFlagsPrintTheVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}} {
		h := newHarness(t)
		if code := h.run(args...); code != 0 {
			t.Fatalf("envsafe %s: exit %d\n%s", strings.Join(args, " "), code, h.stderr)
		}
		if !strings.HasPrefix(h.stdout.String(), "envsafe test (") {
			t.Fatalf("envsafe %s printed %q, want the version", strings.Join(args, " "), h.stdout)
		}
	}
}

// urfave/cli's own completion protocol is off: completion goes through
// `envsafe __complete`, and a hidden flag must not answer anything.
func TestUrfaveCompletionFlagIsAUsageError(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	for _, args := range [][]string{{"--generate-bash-completion"}, {"set", "--generate-bash-completion"}} {
		if code := h.run(args...); code != ExitUsage {
			t.Fatalf("envsafe %s: exit %d, want %d; stdout %q", strings.Join(args, " "), code, ExitUsage, h.stdout)
		}
		if h.stdout.Len() != 0 {
			t.Fatalf("envsafe %s answered on stdout: %q", strings.Join(args, " "), h.stdout)
		}
	}
}

// fullWriter is /dev/full: every write fails.
type fullWriter struct{}

func (fullWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

func TestStdoutWriteErrorsFailTheCommand(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	h.must("set", "API_KEY=stdout-canary")
	h.deps.Stdout = fullWriter{}
	for _, args := range [][]string{{"get", "API_KEY"}, {"ls"}, {"ls", "--long"}, {"ls", "--json"}, {"export"}, {"export", "--format", "json"}, {"version"}, {"env", "ls"}, {"member", "ls"}, {"completion", "bash"}} {
		code := h.run(args...)
		if code == 0 {
			t.Errorf("envsafe %s > /dev/full: exit 0, the output was lost silently", strings.Join(args, " "))
			continue
		}
		if !strings.Contains(h.stderr.String(), "no space left on device") {
			t.Errorf("envsafe %s > /dev/full: stderr %q does not say why", strings.Join(args, " "), h.stderr)
		}
		if strings.Contains(h.stderr.String(), "stdout-canary") {
			t.Errorf("envsafe %s > /dev/full: the error shows the value", strings.Join(args, " "))
		}
	}
}

// Ctrl-C at a masked terminal read (terminal) and at a prompt (prompt) is
// one error, so it exits 130 whichever layer saw it.
func TestOneInterruptedValue(t *testing.T) {
	err := fmt.Errorf("reading the value: %w", terminal.ErrInterrupted)
	if code := ExitCode(err); code != ExitInterrupted {
		t.Fatalf("an interrupted terminal read exits %d, want %d", code, ExitInterrupted)
	}
}

func TestIdentityExportNeverReplacesAFileWithoutForce(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	path := filepath.Join(h.deps.Dir, "key.txt")
	if err := os.WriteFile(path, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := h.run("identity", "export", "-o", "key.txt"); code == 0 || !strings.Contains(h.stderr.String(), "key.txt already exists") {
		t.Fatalf("identity export -o over a file: exit %d, stderr %q", code, h.stderr)
	}
	if got, _ := os.ReadFile(path); string(got) != "precious" {
		t.Fatal("identity export -o replaced an existing file")
	}
	h.must("identity", "export", "-o", "key.txt", "--force")
	if got, _ := os.ReadFile(path); !strings.Contains(string(got), "AGE-SECRET-KEY-") {
		t.Fatal("identity export -o --force did not write the key")
	}
}

// Removing yourself succeeds, still lists what to rotate, and says you are
// locked out now.
func TestMemberRmOfYourselfListsWhatToRotate(t *testing.T) {
	h := newHarness(t)
	h.must("init", "--name", "alice", "-e", "development")
	h.must("set", "API_KEY=rotate-me")
	h.must("member", "add", "bob", "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq", "-e", "development", "--yes")
	if code := h.run("member", "rm", "alice", "--yes"); code != 0 {
		t.Fatalf("member rm of yourself: exit %d\n%s", code, h.stderr)
	}
	for _, want := range []string{"alice could read in development: API_KEY", "copies of 1 secret encrypted", "marked to rotate", "you removed yourself"} {
		if !strings.Contains(h.stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, h.stderr)
		}
	}
}

// A recipient written into a forged file is attacker text: git diff shows
// it escaped, so it cannot move the cursor or rewrite the verdict line.
func TestTextconvEscapesRecipientsItDoesNotKnow(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	id, err := h.deps.identity(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r, err := crypt.ParseRecipient(id.Public())
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"envsafe":1,"environment":"development","recipients":["\u001b[1A\u001b[2Ksigned by alice"],"secrets":{"API_KEY":{"value":"FORGED","updated":"2026-12-01T00:00:00Z"}}}`
	out, err := crypt.Encrypt([]byte(doc), []crypt.Recipient{r})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(h.deps.Dir, "forged.age")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	h.must("git", "textconv", path)
	if strings.Contains(h.stdout.String(), "\x1b") || !strings.Contains(h.stdout.String(), `\x1b[1A`) {
		t.Fatalf("textconv printed %q; want the escape shown escaped", h.stdout)
	}
}

func TestUsageErrorsCountArgumentsInEnglish(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	if code := h.run("diff", "development"); code != ExitUsage || !strings.Contains(h.stderr.String(), "got 1 argument\n") {
		t.Fatalf("diff with one environment: exit %d, stderr %q", code, h.stderr)
	}
	if code := h.run("get", "A", "B"); code != ExitUsage || !strings.Contains(h.stderr.String(), "got 2 arguments") {
		t.Fatalf("get with two names: exit %d, stderr %q", code, h.stderr)
	}
}

func TestKeyFileInsideTheProjectIsWarnedAbout(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	h.must("identity", "new", "--file", "ci.key")
	if !strings.Contains(h.stderr.String(), "ci.key is inside the project") {
		t.Fatalf("identity new --file inside the project: stderr %q", h.stderr)
	}
	h.must("identity", "new", "--file", filepath.Join(t.TempDir(), "ci.key"))
	if strings.Contains(h.stderr.String(), "inside the project") {
		t.Fatalf("a key outside the project was warned about: %q", h.stderr)
	}
}

// An existing member gets more environments by name alone; a name that is
// not a member yet is told to give the key.
func TestMemberAddByNameForAnExistingMember(t *testing.T) {
	h := newHarness(t)
	h.must("init", "--name", "alice", "-e", "development", "-e", "staging")
	bob := "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"
	h.must("member", "add", "bob", bob, "-e", "development", "--yes")
	h.must("member", "add", "bob", "-e", "staging", "--yes")
	s, err := store.Find(h.deps.Dir)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := s.Team()
	if err != nil {
		t.Fatal(err)
	}
	if !tm.CanRead("staging", bob) {
		t.Fatalf("bob cannot read staging after `member add bob -e staging`: %+v", tm.Environments)
	}
	if code := h.run("member", "add", "carol", "-e", "staging", "--yes"); code != 2 || !strings.Contains(h.stderr.String(), "carol is not a member yet") {
		t.Fatalf("member add of a new name without a key: exit %d\n%s", code, h.stderr)
	}
}

// A newcomer with no key at all, in a project: how to join, and whom to ask.
func TestNoIdentityInAProjectSaysHowToJoin(t *testing.T) {
	h := newHarness(t)
	h.must("init", "--name", "alice")
	h.must("set", "A=1")
	h.deps.Keychain = keychain.NewMemory() // another person, with no key yet
	if code := h.run("get", "A"); code != ExitNoIdentity {
		t.Fatalf("exit %d\n%s", code, h.stderr)
	}
	if want := "hint: new to this project? `envsafe init` here creates your key and says how to join; the members are alice"; !strings.Contains(h.stderr.String(), want) {
		t.Fatalf("stderr lacks %q:\n%s", want, h.stderr)
	}
}
