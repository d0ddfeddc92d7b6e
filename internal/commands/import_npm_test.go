package commands

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/envsafe/envsafe/internal/keychain"
	"github.com/envsafe/envsafe/internal/store"
)

// npmEnv holds the lines of issue 14: values npm dotenv reads differently
// from how they look, and names npm accepts that no shell can assign. The
// parts npm drops hold "hunter" so that the tests can see that no message
// shows them.
const npmEnv = `USER=app
PASSWORD=abc#hunter2
COLOR=#hunter0
URL=https://x/page#hunter
JSON="{\"user\":\"hunter\"}"
app.name=x
MY-KEY=y
1LEADING_DIGIT=z
`

// TestImportTakesNPMValuesWithWarnings: by default every line is imported as
// npm dotenv reads it, with one warning naming FILE:LINE and the variable
// for each line that looks otherwise.
func TestImportTakesNPMValuesWithWarnings(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	h.write(".env", npmEnv)
	h.must("import")
	stderr := h.stderr.String()
	for _, want := range []string{
		"envsafe: warning: .env:2: PASSWORD: npm dotenv cuts the value at '#'",
		"envsafe: warning: .env:3: COLOR: npm dotenv reads an empty value",
		"envsafe: warning: .env:4: URL: npm dotenv cuts the value at '#'",
		`envsafe: warning: .env:5: JSON: npm dotenv keeps the backslash of every \" in this double-quoted value`,
		"Imported .env into development: 8 added",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if n := strings.Count(stderr, "envsafe: warning:"); n != 4 {
		t.Errorf("%d warnings, want 4:\n%s", n, stderr)
	}
	if strings.Contains(stderr, "hunter") || h.stdout.Len() != 0 {
		t.Errorf("a value reached the output:\nstdout %q\nstderr %s", h.stdout, stderr)
	}
	for name, want := range map[string]string{
		"USER": "app", "PASSWORD": "abc", "COLOR": "", "URL": "https://x/page", "JSON": `{\"user\":\"hunter\"}`,
		"app.name": "x", "MY-KEY": "y", "1LEADING_DIGIT": "z",
	} {
		if got := h.value(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	h.must("ls")
	if got := strings.Fields(h.stdout.String()); !slices.Equal(got, []string{"1LEADING_DIGIT", "COLOR", "JSON", "MY-KEY", "PASSWORD", "URL", "USER", "app.name"}) {
		t.Errorf("ls = %q", got)
	}
}

// TestImportStrictRefusesWhatNPMReadsOtherwise: --strict turns each warning
// into a refusal naming FILE:LINE, and writes nothing.
func TestImportStrictRefusesWhatNPMReadsOtherwise(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	h.write(".env", npmEnv)
	age := filepath.Join(h.deps.Dir, ".envsafe", "development.age")
	before, err := os.ReadFile(age)
	if err != nil {
		t.Fatal(err)
	}
	if code := h.run("import", "--strict"); code != ExitFailure {
		t.Fatalf("import --strict: exit %d, want %d\n%s", code, ExitFailure, h.stderr)
	}
	stderr := h.stderr.String()
	for _, want := range []string{
		"envsafe: error: --strict refuses 4 lines that npm dotenv reads differently from how they look; nothing imported:\n",
		"\n  .env:2: PASSWORD: npm dotenv cuts", "\n  .env:3: COLOR: ", "\n  .env:4: URL: ", "\n  .env:5: JSON: ",
		"envsafe: hint: change those lines as said, or import without --strict",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "warning:") || strings.Contains(stderr, "hunter") || strings.Contains(stderr, "Imported") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if after, _ := os.ReadFile(age); !slices.Equal(after, before) {
		t.Error("import --strict rewrote the environment")
	}

	// One line: the error is that line's message.
	h.write("one.env", "OK=1\nPASSWORD=abc#hunter2\n")
	if code := h.run("import", "--strict", "one.env"); code != ExitFailure {
		t.Fatalf("exit %d", code)
	}
	if !strings.HasPrefix(h.stderr.String(), "envsafe: error: one.env:2: PASSWORD: npm dotenv cuts the value at '#'") ||
		!strings.Contains(h.stderr.String(), "(refused by --strict; nothing imported)\n") {
		t.Errorf("stderr:\n%s", h.stderr)
	}

	// A clean file passes --strict; --strict reads only the node dialect.
	h.write("clean.env", "A='abc#def'\nB=\"say 'hi'\"\napp.name=x\n")
	h.must("import", "--strict", "clean.env")
	if got := h.value("A"); got != "abc#def" {
		t.Errorf("A = %q", got)
	}
	if code := h.run("import", "--strict", "--dialect", "godotenv", "clean.env"); code != ExitUsage {
		t.Errorf("--strict --dialect godotenv: exit %d, want %d", code, ExitUsage)
	}
}

// TestImportStillRefusesWhatNPMWouldGarble: the refusals stay, with
// FILE:LINE and nothing written, warnings or not.
func TestImportStillRefusesWhatNPMWouldGarble(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	for file, line := range map[string]string{
		"unterminated.env": "A=abc#1\nB=\"hunter2\n",
		"noequals.env":     "A=abc#1\nhunter2\n",
		"after.env":        "A=abc#1\nB=\"hunter\"2\n",
		"escaped.env":      "A=abc#1\nB=\"hunter\\\"2\\\" x\n",
	} {
		h.write(file, line)
		if code := h.run("import", file); code != ExitFailure {
			t.Errorf("%s: exit %d", file, code)
		}
		if !strings.Contains(h.stderr.String(), "envsafe: error: "+file+":2: ") || strings.Contains(h.stderr.String(), "hunter") {
			t.Errorf("%s: stderr:\n%s", file, h.stderr)
		}
	}
	h.must("ls")
	if h.stdout.Len() != 0 {
		t.Errorf("something was imported: %q", h.stdout)
	}
}

// TestSetAcceptsNPMNames: set takes the names import takes; run passes them.
func TestSetAcceptsNPMNames(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	h.must("set", "app.name=x", "MY-KEY=y", "1LEADING_DIGIT=z")
	calls := h.recordExec()
	h.deps.Environ = func() []string { return []string{"PATH=/usr/bin:/bin"} }
	h.env["PATH"] = "/usr/bin:/bin"
	h.must("run", "--", "sh", "-c", "env")
	for _, want := range []string{"app.name=x", "MY-KEY=y", "1LEADING_DIGIT=z"} {
		if len(*calls) != 1 || !slices.Contains((*calls)[0].env, want) {
			t.Errorf("child environment lacks %s", want)
		}
	}
	for _, bad := range []string{"A B=1", "KÉY=1", "a/b=1", "x:y=1"} {
		if code := h.run("set", bad); code != ExitUsage || !strings.Contains(h.stderr.String(), "invalid secret name") {
			t.Errorf("set %q: exit %d\n%s", bad, code, h.stderr)
		}
	}
}

// TestInitInsideAProjectCreatesMissingEnvironments: `init -e staging` in an
// existing project adds staging for you, as `env add` would.
func TestInitInsideAProjectCreatesMissingEnvironments(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	h.must("init", "-e", "staging,development", "-e", "qa")
	if !strings.Contains(h.stderr.String(), "Already there: development.") ||
		!strings.Contains(h.stderr.String(), "Created environments staging, qa in ") ||
		!strings.Contains(h.stderr.String(), "readable by alice-example") {
		t.Errorf("stderr:\n%s", h.stderr)
	}
	s, err := store.Find(h.deps.Dir)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := s.Team()
	if err != nil {
		t.Fatal(err)
	}
	if got := tm.EnvNames(); !slices.Equal(got, []string{"development", "staging", "qa"}) || tm.Default != "development" {
		t.Fatalf("environments %q, default %s", got, tm.Default)
	}
	if e, _ := tm.Env("staging"); !slices.Equal(e.Members, []string{"alice-example"}) {
		t.Errorf("staging readers %q", e.Members)
	}
	h.must("set", "-e", "staging", "A=1")
	if got := h.value("-e", "staging", "A"); got != "1" {
		t.Errorf("A = %q", got)
	}

	// Again: nothing to do, and it says so.
	h.must("init", "-e", "staging")
	if !strings.Contains(h.stderr.String(), "staging already exists here.") {
		t.Errorf("stderr:\n%s", h.stderr)
	}
	if code := h.run("init", "-e", "Bad Name"); code != ExitUsage {
		t.Errorf("init -e 'Bad Name': exit %d", code)
	}
}

// TestInitInsideAProjectTellsANonMemberHow: someone who is not a member
// cannot create an environment they could not read; they are told how.
func TestInitInsideAProjectTellsANonMemberHow(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	teamFile := filepath.Join(h.deps.Dir, ".envsafe", "team.yaml")
	before, _ := os.ReadFile(teamFile)
	h.deps.Keychain = keychain.NewMemory() // another person, with no key yet
	if code := h.run("init", "-e", "staging"); code != ExitFailure {
		t.Fatalf("exit %d\n%s", code, h.stderr)
	}
	for _, want := range []string{
		"Created your identity age1",
		"envsafe: error: cannot create staging: you are not a member of the envsafe project at",
		"envsafe: hint: send your public key age1",
		"`envsafe env add staging`",
	} {
		if !strings.Contains(h.stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, h.stderr)
		}
	}
	if after, _ := os.ReadFile(teamFile); !slices.Equal(after, before) {
		t.Error("team.yaml changed")
	}
}

// A name may start with a digit: only a whole number is the length.
func TestSetGenerateTakesNamesThatStartWithADigit(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	h.must("set", "1ST_TOKEN", "--generate", "40")
	h.must("get", "1ST_TOKEN")
	if got := strings.TrimSpace(h.stdout.String()); len(got) != 40 {
		t.Fatalf("1ST_TOKEN generated as %d characters, want 40", len(got))
	}
}
