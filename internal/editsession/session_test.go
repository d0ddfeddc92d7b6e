package editsession

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/envsafe/envsafe/internal/dotenv"
	"github.com/envsafe/envsafe/internal/runner"
)

// The test binary is its own fake editor: run with fakeEditorVar set, it
// does what the mode says to the file named by its last argument and leaves
// what it saw in the folder named by fakeOutVar. No shell script, no sed.
const (
	fakeEditorVar = "EDITSESSION_TEST_EDITOR"
	fakeOutVar    = "EDITSESSION_TEST_OUT"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeEditorVar); mode != "" {
		os.Exit(fakeEditor(mode, os.Args[1:], os.Getenv(fakeOutVar)))
	}
	os.Exit(m.Run())
}

func fakeEditor(mode string, args []string, out string) int {
	if mode == "exit" {
		return 0
	}
	file := args[len(args)-1]
	record := func(name, text string) { os.WriteFile(filepath.Join(out, name), []byte(text), 0o600) }
	appendTo := func(text string) {
		f, _ := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
		f.WriteString(text)
		f.Close()
	}
	record("args.txt", strings.Join(args, "\n"))
	record("dir.txt", filepath.Dir(file))
	if dfi, err := os.Stat(filepath.Dir(file)); err == nil {
		if ffi, err := os.Stat(file); err == nil {
			record("modes.txt", dfi.Mode().Perm().String()+" "+ffi.Mode().Perm().String())
		}
	}
	record("env.txt", strings.Join(os.Environ(), "\n"))
	round := 1
	if _, err := os.Stat(filepath.Join(out, "round1")); err == nil {
		round = 2
	}
	record("round1", "")
	text, _ := os.ReadFile(file)
	record("view"+string(rune('0'+round))+".txt", string(text))
	switch {
	case mode == "noop":
	case mode == "append":
		appendTo("C_NEW=3\n")
	case mode == "clear":
		os.WriteFile(file, []byte("# nothing left\n"), 0o600)
	case mode == "fail":
		appendTo("GARBAGE=x\n")
		return 1
	case mode == "twice" && round == 1, mode == "giveup" && round == 1:
		appendTo("KEEP_ME=typed before the mistake\nBROKEN=\"unterminated\n")
	case mode == "twice":
		var kept []string
		for _, line := range strings.SplitAfter(string(text), "\n") {
			if !strings.HasPrefix(line, "BROKEN=") {
				kept = append(kept, line)
			}
		}
		os.WriteFile(file, []byte(strings.Join(kept, "")+"FIXED=ok\n"), 0o600)
	case mode == "giveup":
		// quit without saving: the file is left as envsafe wrote it
	case strings.HasPrefix(mode, "signal:"):
		// envsafe's editor is the process it started ($PPID is the test),
		// so the signal goes to the session and its SIGTERM comes back here.
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		appendTo("LOST=1\n")
		signalParent(strings.TrimPrefix(mode, "signal:"))
		select {
		case <-term:
			record("got-term", "")
		case <-time.After(10 * time.Second):
		}
		return 1
	}
	return 0
}

// shellWord quotes s for sh, as a user would in $EDITOR.
func shellWord(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

type fixture struct {
	session *Session
	out     string
	stderr  *bytes.Buffer
}

func newFixture(t *testing.T, mode string, environ ...string) *fixture {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake editor is started through sh")
	}
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{out: t.TempDir(), stderr: new(bytes.Buffer)}
	f.session = &Session{
		Editor:  shellWord(exe),
		Environ: append(append(os.Environ(), fakeEditorVar+"="+mode, fakeOutVar+"="+f.out), environ...),
		Stdin:   strings.NewReader(""),
		Stdout:  f.stderr,
		Stderr:  f.stderr,
		Base:    t.TempDir(),
	}
	return f
}

func (f *fixture) read(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(f.out, name))
	if err != nil {
		t.Fatalf("the editor left no %s: %v", name, err)
	}
	return string(data)
}

// gone checks that the editor ran in a private folder under Base and that
// the folder is gone.
func (f *fixture) gone(t *testing.T) {
	t.Helper()
	dir := f.read(t, "dir.txt")
	if filepath.Dir(dir) != f.session.Base || !strings.HasPrefix(filepath.Base(dir), DirPrefix) {
		t.Fatalf("the editor ran in %s, not a private folder in %s", dir, f.session.Base)
	}
	if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the private folder %s is still there (%v)", dir, err)
	}
}

const secretValue = "s3cret-value-never-in-errors"

var text = []byte("# envsafe edit: development (2 secrets).\nA=1\nAPI_KEY=" + secretValue + "\n")

func TestEditReturnsWhatTheUserSaved(t *testing.T) {
	f := newFixture(t, "append")
	pairs, changed, err := f.session.Edit("development", text)
	if err != nil || !changed {
		t.Fatalf("Edit() = %v, %v", changed, err)
	}
	want := []dotenv.Pair{{Name: "A", Value: "1", Line: 2}, {Name: "API_KEY", Value: secretValue, Line: 3}, {Name: "C_NEW", Value: "3", Line: 4}}
	if !reflect.DeepEqual(pairs, want) {
		t.Fatalf("pairs = %+v, want %+v", pairs, want)
	}
	if got := f.read(t, "view1.txt"); got != string(text) {
		t.Fatalf("the editor saw %q", got)
	}
	if got := f.read(t, "modes.txt"); got != "-rwx------ -rw-------" {
		t.Fatalf("folder and file modes = %s, want only the user's", got)
	}
	if got := filepath.Base(f.read(t, "args.txt")); got != "development.env" {
		t.Fatalf("the editor opened %s", got)
	}
	f.gone(t)
}

func TestEditUnchangedWritesNothing(t *testing.T) {
	f := newFixture(t, "noop")
	pairs, changed, err := f.session.Edit("development", text)
	if err != nil || changed || pairs != nil {
		t.Fatalf("Edit() = %v, %v, %v; want no change", pairs, changed, err)
	}
	f.gone(t)
}

// Deleting every line parses to no pairs at all, which must still count as
// a change (remove everything), not as "no changes".
func TestEditDeletingEverythingIsAChange(t *testing.T) {
	f := newFixture(t, "clear")
	pairs, changed, err := f.session.Edit("development", text)
	if err != nil || !changed || len(pairs) != 0 {
		t.Fatalf("Edit() = %v, %v, %v; want a change to nothing", pairs, changed, err)
	}
}

func TestEditReopensOnParseErrorKeepingTheText(t *testing.T) {
	f := newFixture(t, "twice")
	pairs, changed, err := f.session.Edit("development", text)
	if err != nil || !changed {
		t.Fatalf("Edit() = %v, %v", changed, err)
	}
	names := []string{}
	for _, p := range pairs {
		names = append(names, p.Name)
	}
	if want := []string{"A", "API_KEY", "KEEP_ME", "FIXED"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("names = %q, want %q", names, want)
	}
	second := f.read(t, "view2.txt")
	lines := strings.Split(second, "\n")
	// The broken line is line 5 of the user's text; two notes go above it.
	if !strings.HasPrefix(lines[0], "# envsafe error: line 7: ") || lines[6] != `BROKEN="unterminated` {
		t.Fatalf("reopened text does not point at the broken line:\n%s", second)
	}
	if !strings.Contains(second, "KEEP_ME=typed before the mistake\n") {
		t.Fatalf("the user's text was not kept:\n%s", second)
	}
	if !regexpMatch(`^envsafe: development\.env:5: .* — reopening the editor\n$`, f.stderr.String()) {
		t.Fatalf("stderr = %q", f.stderr.String())
	}
	if strings.Contains(f.stderr.String(), secretValue) || strings.Contains(lines[0], "unterminated\"") {
		t.Fatalf("a value reached the note: %q", f.stderr.String())
	}
	f.gone(t)
}

func TestEditGivingUpAfterAnErrorWritesNothing(t *testing.T) {
	f := newFixture(t, "giveup")
	_, _, err := f.session.Edit("development", text)
	if err == nil || !strings.Contains(err.Error(), "closed without changes after an error; nothing written") {
		t.Fatalf("Edit() error = %v", err)
	}
	f.gone(t)
}

func TestEditorFailureWritesNothing(t *testing.T) {
	f := newFixture(t, "fail")
	_, changed, err := f.session.Edit("development", text)
	if err == nil || changed || !strings.Contains(err.Error(), "the editor exited with an error") {
		t.Fatalf("Edit() = %v, %v", changed, err)
	}
	if strings.Contains(err.Error(), secretValue) {
		t.Fatalf("error carries a value: %v", err)
	}
	f.gone(t)
}

func TestEditorNotFound(t *testing.T) {
	f := newFixture(t, "noop")
	f.session.Editor = "no-such-editor-anywhere --wait"
	_, _, err := f.session.Edit("development", text)
	if !errors.Is(err, runner.ErrNotFound) || !strings.Contains(err.Error(), `starting the editor "no-such-editor-anywhere --wait"`) ||
		!strings.Contains(err.Error(), "(set VISUAL or EDITOR)") {
		t.Fatalf("Edit() error = %v", err)
	}
}

// A path with a space, quoted the shell way, then the editor's own
// arguments: what `EDITOR='"/opt/My Editor/ed" --wait'` means to git.
func TestEditorSettingIsReadLikeAShell(t *testing.T) {
	f := newFixture(t, "noop")
	exe, _ := os.Executable()
	link := filepath.Join(t.TempDir(), "My Editor", "ed it")
	os.Mkdir(filepath.Dir(link), 0o755)
	if err := os.Symlink(exe, link); err != nil {
		t.Skip("no symlinks:", err)
	}
	f.session.Editor = `"` + link + `" --wait '-n x'`
	if _, _, err := f.session.Edit("development", text); err != nil {
		t.Fatal(err)
	}
	args := strings.Split(f.read(t, "args.txt"), "\n")
	if len(args) != 3 || args[0] != "--wait" || args[1] != "-n x" || filepath.Base(args[2]) != "development.env" {
		t.Fatalf("the editor got %q", args)
	}
}

// The attack: the editor (or a plugin of it) reads envsafe's key from its
// environment.
func TestEditorNeverSeesEnvsafesKey(t *testing.T) {
	f := newFixture(t, "noop", "ENVSAFE_IDENTITY=AGE-SECRET-KEY-1FAKE", "ENVSAFE_IDENTITY_FILE=/home/a/key.txt", "EDITOR=stale", "KEEP=me")
	if _, _, err := f.session.Edit("development", text); err != nil {
		t.Fatal(err)
	}
	env := "\n" + f.read(t, "env.txt") + "\n"
	if strings.Contains(env, "ENVSAFE_IDENTITY") || strings.Contains(env, "AGE-SECRET-KEY") {
		t.Fatalf("the editor saw envsafe's key:%s", env)
	}
	if !strings.Contains(env, "\nKEEP=me\n") {
		t.Fatal("the rest of the environment did not reach the editor")
	}
	if strings.Count(env, "\nEDITOR=") != 1 || !strings.Contains(env, "\nEDITOR="+f.session.Editor+"\n") {
		t.Fatalf("EDITOR in the editor's environment is not the one setting that started it:%s", env)
	}
}

// SIGTERM, SIGHUP and SIGQUIT end the edit: the editor is told, nothing is
// returned, the folder is gone, and the error is an interruption. Without
// handling, SIGQUIT would kill this test binary with a goroutine dump.
func TestSignalsEndTheEdit(t *testing.T) {
	for _, sig := range []string{"TERM", "HUP", "QUIT"} {
		t.Run(sig, func(t *testing.T) {
			f := newFixture(t, "signal:"+sig)
			pairs, changed, err := f.session.Edit("development", text)
			if !errors.Is(err, context.Canceled) || changed || pairs != nil {
				t.Fatalf("Edit() = %v, %v, %v; want an interruption", pairs, changed, err)
			}
			if !strings.HasSuffix(err.Error(), "during the edit; nothing written") {
				t.Fatalf("error = %v", err)
			}
			f.read(t, "got-term")
			f.gone(t)
		})
	}
}

func TestStripAndAddErrorNotes(t *testing.T) {
	user := []byte("A=1\nB=\"x\n")
	err := &dotenv.ParseError{File: "development.env", Line: 2, Reason: "unterminated quoted value"}
	noted := withError(user, err)
	want := "# envsafe error: line 4: unterminated quoted value\n# envsafe error: fix it, save and quit (these two lines are removed); quit without saving to give up\nA=1\nB=\"x\n"
	if string(noted) != want {
		t.Fatalf("withError =\n%s", noted)
	}
	if got := stripErrors(noted); !bytes.Equal(got, user) {
		t.Fatalf("stripErrors = %q", got)
	}
	if got := stripErrors([]byte("# envsafe error: only")); got != nil {
		t.Fatalf("stripErrors of a note alone = %q", got)
	}
	if got := withError(user, errors.New("development.env: not valid UTF-8")); !bytes.HasPrefix(got, []byte("# envsafe error: development.env: not valid UTF-8\n")) {
		t.Fatalf("an error without a line: %q", got)
	}
}
