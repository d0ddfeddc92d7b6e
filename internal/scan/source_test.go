package scan

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// secret is a project value the test Scanner looks for; it has no
// credential shape, so this file itself is clean.
const secret = "value-of-k-1234"

func testScanner() *Scanner {
	v := NewValues()
	v.Add(secret, "K in development")
	return New(v)
}

// writeTree creates files (slash paths) under a new temporary root.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// lines renders findings as a report prints them, for readable failures.
func lines(fs []Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.String())
	}
	return out
}

func valueAt(path string, line int) string {
	return fmt.Sprintf("%s:%d: %s: the value of K in development", path, line, RuleSecretValue)
}

func TestWorkTreeWalksAFolderOutsideGit(t *testing.T) {
	root := writeTree(t, map[string]string{
		"b.txt":                 "x\n" + secret + "\n",
		"a/deep/c.txt":          secret + "\n",
		".env":                  "K=" + secret + "\n",
		".env.example":          "K=changeme\n",
		".git/config":           secret + "\n", // git's own folder is not the project
		".envsafe/x.age":        "-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n",
		"sub/.envsafe/y.age":    "-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n",
		"fixtures/f.txt":        secret + "\n",
		"big.txt":               secret + strings.Repeat("x", 100) + "\n",
		"abig.txt":              secret + strings.Repeat("x", 100) + "\n",
		"image.bin":             "\x00" + secret,
		"allowed.txt":           secret + " " + AllowMarker + "\n",
		"fixtures/sub/.env.dev": "K=1\n",
	})
	if err := os.Symlink(filepath.Join(root, "b.txt"), filepath.Join(root, "link.txt")); err != nil {
		t.Logf("no symlink (%v): not checking that links are passed over", err)
	}
	r, err := testScanner().WorkTree(Source{
		Root:        root,
		Skip:        func(p string) bool { return strings.HasPrefix(p, "fixtures/") },
		MaxFileSize: 50,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		".env: dotenv-file: plaintext .env file",
		valueAt(".env", 1),
		valueAt("a/deep/c.txt", 1),
		valueAt("b.txt", 2),
		// Skip never hides a plaintext .env file.
		"fixtures/sub/.env.dev: dotenv-file: plaintext .env file",
	}
	if got := lines(r.Findings); !reflect.DeepEqual(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !reflect.DeepEqual(r.TooBig, []string{"abig.txt", "big.txt"}) {
		t.Errorf("too big: %q", r.TooBig)
	}
	if !reflect.DeepEqual(r.Ignored, []string{"fixtures/f.txt"}) {
		t.Errorf("ignored: %q, want what Skip left out", r.Ignored)
	}
	// Read: .env, .env.example, a/deep/c.txt, b.txt, allowed.txt, the two
	// environment files (as nothing but armor) and the .env under
	// fixtures/; not the binary, the big, the skipped or the linked.
	if r.Scanned != 8 {
		t.Errorf("scanned %d files, want 8", r.Scanned)
	}
	if r.Files() != 4 {
		t.Errorf("files with findings: %d, want 4", r.Files())
	}
}

func TestWorkTreeWithoutSizeBoundReadsBigFiles(t *testing.T) {
	root := writeTree(t, map[string]string{"big.txt": strings.Repeat("x", 1<<20) + "\n" + secret + "\n"})
	r, err := testScanner().WorkTree(Source{Root: root})
	if err != nil || len(r.TooBig) != 0 || !reflect.DeepEqual(lines(r.Findings), []string{valueAt("big.txt", 2)}) {
		t.Fatalf("%v %+v", err, r)
	}
}

func TestWorkTreePathsLimitTheWalk(t *testing.T) {
	root := writeTree(t, map[string]string{
		"src/a.txt":   secret,
		"src/b.txt":   secret,
		"docs/c.txt":  secret,
		"other/d.txt": secret,
	})
	r, err := testScanner().WorkTree(Source{Root: root, Paths: []string{"src", "docs/c.txt"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{valueAt("docs/c.txt", 1), valueAt("src/a.txt", 1), valueAt("src/b.txt", 1)}
	if got := lines(r.Findings); !reflect.DeepEqual(got, want) || r.Scanned != 3 {
		t.Fatalf("scanned %d: %q", r.Scanned, got)
	}
	if _, err := testScanner().WorkTree(Source{Root: root, Paths: []string{"missing"}}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a missing path: %v", err)
	}
}

func TestWorkTreeFindingsDoNotDependOnReadOrder(t *testing.T) {
	files := map[string]string{}
	var want []string
	for i := range 200 {
		name := fmt.Sprintf("f%03d.txt", i)
		files[name] = "x\n" + secret + "\n"
		want = append(want, valueAt(name, 2))
	}
	root := writeTree(t, files)
	for range 3 {
		r, err := testScanner().WorkTree(Source{Root: root})
		if err != nil {
			t.Fatal(err)
		}
		if got := lines(r.Findings); !reflect.DeepEqual(got, want) || r.Scanned != 200 {
			t.Fatalf("scanned %d, findings not in path order: %q", r.Scanned, got[:min(len(got), 5)])
		}
	}
}

// fakeGit answers git commands from fixed text and records them.
type fakeGit struct {
	output map[string]string // by the first git subcommand
	stream string
	err    error
	calls  []string // "dir: args"
}

func subcommand(args []string) string {
	for i := 0; i < len(args); i++ {
		if args[i] == "-c" {
			i++
			continue
		}
		return args[i]
	}
	return ""
}

func (g *fakeGit) Output(dir string, args ...string) ([]byte, error) {
	g.calls = append(g.calls, dir+": "+strings.Join(args, " "))
	if g.err != nil {
		return nil, g.err
	}
	out, ok := g.output[subcommand(args)]
	if !ok {
		return nil, fmt.Errorf("unexpected git %v", args)
	}
	return []byte(out), nil
}

func (g *fakeGit) Stream(dir string, args []string, read func(io.Reader) error) error {
	g.calls = append(g.calls, dir+": "+strings.Join(args, " "))
	if g.err != nil {
		return g.err
	}
	return read(strings.NewReader(g.stream))
}

func TestWorkTreeInGitReadsListedAndNamedFiles(t *testing.T) {
	root := writeTree(t, map[string]string{
		"a.txt":       secret,
		".env":        "K=1\n",
		"ignored.env": "",
		"ignored.txt": secret,
		".env.local":  "K=1\n", // ignored by git, named below: read, not a dotenv finding
		"gone.txt":    "",
		// named, but never read: ciphertext is no finding
		".envsafe/production.age": armoredAge,
	})
	os.Remove(filepath.Join(root, "gone.txt")) // still in the index
	g := &fakeGit{output: map[string]string{"ls-files": "a.txt\x00.env\x00a.txt\x00gone.txt\x00"}}
	r, err := testScanner().WorkTree(Source{Root: root, Git: g, Paths: []string{"a.txt", ".env", "ignored.txt", ".env.local", ".envsafe/production.age"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		".env: dotenv-file: plaintext .env file that git tracks or does not ignore",
		valueAt("a.txt", 1),
		valueAt("ignored.txt", 1),
	}
	if got := lines(r.Findings); !reflect.DeepEqual(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r.Scanned != 5 { // a.txt once, .env, ignored.txt, .env.local, production.age (armor only)
		t.Errorf("scanned %d, want 5", r.Scanned)
	}
	wantCall := root + ": -c core.quotePath=false ls-files -z --cached --others --exclude-standard -- :(literal)a.txt :(literal).env :(literal)ignored.txt :(literal).env.local :(literal).envsafe/production.age :(exclude,glob)**/.envsafe/team.sig :(exclude,glob)**/.envsafe/team.sig.pending :(exclude,glob)**/.envsafe/.gitignore"
	if !reflect.DeepEqual(g.calls, []string{wantCall}) {
		t.Errorf("git calls %q", g.calls)
	}
}

// stagedDiff is what `git diff --cached -U0` prints at the top of a
// monorepo whose envsafe project is svc/api.
const stagedDiff = "diff --git a/web/conf.js b/web/conf.js\n" +
	"new file mode 100644\n" +
	"--- /dev/null\n" +
	"+++ b/web/conf.js\n" +
	"@@ -0,0 +1,2 @@\n" +
	"+x = 1\n" +
	"+y = \"" + secret + "\"\n" +
	"diff --git a/svc/api/.env b/svc/api/.env\n" +
	"new file mode 100644\n" +
	"Binary files /dev/null and b/svc/api/.env differ\n" +
	"diff --git a/svc/api/.envsafe/production.age b/svc/api/.envsafe/production.age\n" +
	"--- a/svc/api/.envsafe/production.age\n" +
	"+++ b/svc/api/.envsafe/production.age\n" +
	"@@ -1 +1 @@\n" +
	"+" + secret + "\n" +
	"diff --git a/svc/api/old.txt b/svc/api/old.txt\n" +
	"deleted file mode 100644\n" +
	"--- a/svc/api/old.txt\n" +
	"+++ /dev/null\n" +
	"@@ -1 +0,0 @@\n" +
	"-" + secret + "\n" +
	"diff --git a/svc/api/fixtures/f.txt b/svc/api/fixtures/f.txt\n" +
	"--- a/svc/api/fixtures/f.txt\n" +
	"+++ b/svc/api/fixtures/f.txt\n" +
	"@@ -3,0 +4 @@\n" +
	"+" + secret + "\n" +
	"diff --git a/svc/api/app.txt b/svc/api/app.txt\n" +
	"--- a/svc/api/app.txt\n" +
	"+++ b/svc/api/app.txt\n" +
	"@@ -9,0 +10 @@\n" +
	"+" + secret + " " + AllowMarker + "\n" +
	"@@ -20 +21 @@\n" +
	"-old\n" +
	"+" + secret + "\n"

func TestStagedReadsTheWholeRepositoryFromTheDiff(t *testing.T) {
	// .env is binary to git (say, UTF-16 or a -diff attribute): its staged
	// blob is read whole.
	g := &fakeGit{output: map[string]string{"rev-parse": "/top\nsvc/api/\n", "cat-file": "K=" + secret + "\n"}, stream: stagedDiff}
	r, err := testScanner().Staged(Source{
		Root: "/top/svc/api",
		Git:  g,
		Skip: func(p string) bool { return strings.HasPrefix(p, "fixtures/") },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"../../web/conf.js:2: envsafe-secret: the value of K in development",
		".env: dotenv-file: plaintext .env file staged for commit",
		valueAt(".env", 1),
		// Plaintext under an environment file's name: not armor, so found.
		valueAt(".envsafe/production.age", 1),
		valueAt("app.txt", 21),
	}
	if got := lines(r.Findings); !reflect.DeepEqual(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r.Scanned != 4 { // conf.js, .env, production.age, app.txt: not the deleted or the skipped
		t.Errorf("scanned %d, want 4", r.Scanned)
	}
	wantCalls := []string{
		"/top/svc/api: rev-parse --show-toplevel --show-prefix",
		"/top: -c core.quotePath=false diff --cached -U0 --no-color --no-ext-diff --no-textconv --no-renames --src-prefix=a/ --dst-prefix=b/",
		"/top: cat-file blob :svc/api/.env",
	}
	if !reflect.DeepEqual(g.calls, wantCalls) {
		t.Errorf("git calls:\n%s", strings.Join(g.calls, "\n"))
	}
}

func TestHistoryReportsEachCommitInCommitOrder(t *testing.T) {
	file := func(path, added string) string {
		return "diff --git a/" + path + " b/" + path + "\n--- a/" + path + "\n+++ b/" + path + "\n@@ -0,0 +1 @@\n+" + added + "\n"
	}
	log := CommitMarker + "bbbb\n\n" + file(".env", "K="+secret) + file("a.txt", secret) +
		CommitMarker + "aaaa\n\n" + file("z.txt", secret) + file(".env", "K="+secret)
	g := &fakeGit{output: map[string]string{"rev-parse": "/top\n\n"}, stream: log}
	r, err := testScanner().History(Source{Root: "/top", Git: g, Paths: []string{"src dir", "*"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"aaaa .env: dotenv-file: plaintext .env file committed",
		"aaaa " + valueAt(".env", 1),
		"aaaa " + valueAt("z.txt", 1),
		"bbbb .env: dotenv-file: plaintext .env file committed",
		"bbbb " + valueAt(".env", 1),
		"bbbb " + valueAt("a.txt", 1),
	}
	if got := lines(r.Findings); !reflect.DeepEqual(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r.Files() != 4 || r.Scanned != 4 {
		t.Errorf("files %d scanned %d, want 4 and 4", r.Files(), r.Scanned)
	}
	if c := g.calls[1]; !strings.HasPrefix(c, "/top: -c core.quotePath=false log -p --all --full-history --no-show-signature --format="+CommitFormat+" -U0 ") ||
		!strings.HasSuffix(c, " -- :(literal)src dir :(literal)*") {
		t.Errorf("git call %q", c)
	}
}

func TestGitFailuresSayWhatWasBeingRead(t *testing.T) {
	boom := errors.New("exit status 128: fatal: bad object")
	for _, c := range []struct {
		name string
		run  func(*Scanner, Source) (Result, error)
		git  *fakeGit
		want string
	}{
		{"work tree", (*Scanner).WorkTree, &fakeGit{err: boom}, "listing files with git: "},
		{"staged", (*Scanner).Staged, &fakeGit{err: boom}, "finding the git work tree: "},
		{"history", (*Scanner).History, &fakeGit{output: map[string]string{"rev-parse": "/top\n"}, stream: "diff --git a/x b/x\n@@ bad\n"}, "reading git history: malformed hunk header"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.run(testScanner(), Source{Root: t.TempDir(), Git: c.git})
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("error %v, want it to start with %q", err, c.want)
			}
			if c.git.err != nil && !errors.Is(err, boom) {
				t.Fatalf("error %v does not wrap git's", err)
			}
		})
	}
	if _, err := testScanner().Staged(Source{Root: "/nowhere"}); err == nil || !strings.Contains(err.Error(), "not inside a git repository") {
		t.Fatalf("staged without git: %v", err)
	}
}

func TestInRepo(t *testing.T) {
	if InRepo(nil, "/x") {
		t.Error("no git, yet in a repository")
	}
	if InRepo(&fakeGit{err: errors.New("not a git repository")}, "/x") {
		t.Error("git failed, yet in a repository")
	}
	if !InRepo(&fakeGit{output: map[string]string{"rev-parse": ".git\n"}}, "/x") {
		t.Error("git answered, yet not in a repository")
	}
}

func TestSortFindingsByCommitPathLineRuleKeepingTies(t *testing.T) {
	in := []Finding{
		{Commit: "b", Path: "a", Line: 1, Rule: "r"},
		{Path: "b", Line: 2, Rule: RuleSecretValue, Description: "first"},
		{Path: "b", Line: 10, Rule: "a"},
		{Path: "b", Line: 2, Rule: RuleSecretValue, Description: "second"},
		{Path: "b", Line: 2, Rule: "aws"},
		{Path: "a", Line: 3, Rule: "r"},
		{Path: "b", Rule: RuleDotenvFile},
		{Commit: "a", Path: "z", Line: 1, Rule: "r"},
	}
	want := []Finding{
		{Path: "a", Line: 3, Rule: "r"},
		{Path: "b", Rule: RuleDotenvFile},
		{Path: "b", Line: 2, Rule: "aws"},
		{Path: "b", Line: 2, Rule: RuleSecretValue, Description: "first"},
		{Path: "b", Line: 2, Rule: RuleSecretValue, Description: "second"},
		{Path: "b", Line: 10, Rule: "a"}, // by number, not as text
		{Commit: "a", Path: "z", Line: 1, Rule: "r"},
		{Commit: "b", Path: "a", Line: 1, Rule: "r"},
	}
	got := slices.Clone(in)
	sortFindings(got)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
}

func TestFindingStringQuotesHostileNames(t *testing.T) {
	for _, c := range []struct {
		f    Finding
		want string
	}{
		{Finding{Path: "a.txt", Line: 3, Rule: "r", Description: "d"}, "a.txt:3: r: d"},
		{Finding{Path: ".env", Rule: RuleDotenvFile, Description: "d"}, ".env: dotenv-file: d"},
		{Finding{Commit: "0123456789abcdef0123", Path: "ok/é.txt", Line: 1, Rule: "r", Description: "d"}, "0123456789ab ok/é.txt:1: r: d"},
		{Finding{Commit: "abc", Path: "x", Rule: "r", Description: "d"}, "abc x: r: d"},
		{Finding{Path: "evil\x1b[2Jname.txt", Line: 3, Rule: "r", Description: "d"}, `"evil\x1b[2Jname.txt":3: r: d`},
		{Finding{Path: "new\nline", Rule: "r", Description: "d"}, `"new\nline": r: d`},
		{Finding{Path: "c1\u009bcsi", Rule: "r", Description: "d"}, `"c1\u009bcsi": r: d`},
		{Finding{Path: "bad\xffutf8", Rule: "r", Description: "d"}, `"bad\xffutf8": r: d`},
	} {
		if got := c.f.String(); got != c.want {
			t.Errorf("%q: got %q, want %q", c.f.Path, got, c.want)
		}
	}
}

// Only ciphertext in an .envsafe folder is left out: a plaintext .env, a
// note, or plaintext saved under an environment file's name is found like
// anywhere else.
func TestPlaintextInsideEnvsafeFolderIsScanned(t *testing.T) {
	root := writeTree(t, map[string]string{
		".envsafe/.env":           "K=" + secret + "\n",
		"sub/.envsafe/readme.md":  "k " + secret + "\n",
		".envsafe/production.age": secret + "\n",
	})
	r, err := testScanner().WorkTree(Source{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		".envsafe/.env: dotenv-file: plaintext .env file",
		valueAt(".envsafe/.env", 1),
		valueAt(".envsafe/production.age", 1),
		valueAt("sub/.envsafe/readme.md", 1),
	}
	if got := lines(r.Findings); !reflect.DeepEqual(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestWorkTreeNamesDotenvxKeysLeftOver: the .env.keys a dotenvx migration
// leaves behind is reported as the private keys it is, with what to do.
func TestWorkTreeNamesDotenvxKeysLeftOver(t *testing.T) {
	root := writeTree(t, map[string]string{
		"app/.env.keys": "DOTENV_PRIVATE_KEY=4530cfb174df9bfa0240a141713eb7169191353ae1879ef635a3a9c83b30d50b\n",
	})
	r, err := testScanner().WorkTree(Source{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"app/.env.keys: dotenv-file: dotenvx private keys (.env.keys; after `envsafe import`, delete it)"}
	if got := lines(r.Findings); !reflect.DeepEqual(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// armoredAge is what an environment file holds: age's armor, which the
// scan reads as nothing.
const armoredAge = "-----BEGIN AGE ENCRYPTED FILE-----\n" +
	"YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBCL3FJcTV2U0Z0eWNwWUtS\n" +
	"TWZqK2ZvPQ==\n" +
	"-----END AGE ENCRYPTED FILE-----\n"
