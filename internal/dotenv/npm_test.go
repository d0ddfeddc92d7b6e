package dotenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/corpus/npm.json from the real npm dotenv")

const (
	// npmDotenvVersion is the npm dotenv release Parse is checked against,
	// pinned in testdata/npm/package.json and package-lock.json.
	npmDotenvVersion = "17.4.2"
	npmDir           = "testdata/npm"
)

// requireNPM skips the test when node or the npm registry is unavailable,
// unless ENVSAFE_REQUIRE_NPM=1 asks CI to fail instead.
func requireNPM(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("ENVSAFE_REQUIRE_NPM") == "1" {
		t.Fatalf(format+" (ENVSAFE_REQUIRE_NPM=1)", args...)
	}
	t.Skipf(format, args...)
}

// installNPMDotenv installs the pinned dotenv into testdata/npm/node_modules
// (gitignored) unless it is already there, and returns the node binary.
func installNPMDotenv(t testing.TB) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		requireNPM(t, "node not found: %v", err)
	}
	manifest := filepath.Join(npmDir, "node_modules", "dotenv", "package.json")
	if installedVersion(manifest) == npmDotenvVersion {
		return node
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		requireNPM(t, "npm not found: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = npmDir
	if out, err := cmd.CombinedOutput(); err != nil {
		requireNPM(t, "npm ci failed: %v\n%s", err, out)
	}
	if v := installedVersion(manifest); v != npmDotenvVersion {
		t.Fatalf("npm installed dotenv %q, want %s", v, npmDotenvVersion)
	}
	return node
}

func installedVersion(manifest string) string {
	data, err := os.ReadFile(manifest)
	if err != nil {
		return ""
	}
	var pkg struct{ Version string }
	if json.Unmarshal(data, &pkg) != nil {
		return ""
	}
	return pkg.Version
}

// npmParse returns what npm dotenv's parse returns for each file, running a
// single node process for all of them.
func npmParse(t *testing.T, node string, files []string) []entries {
	t.Helper()
	var abs []string
	for _, f := range files {
		a, err := filepath.Abs(f)
		if err != nil {
			t.Fatal(err)
		}
		abs = append(abs, a)
	}
	in, err := json.Marshal(abs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), node, "parse.js")
	cmd.Dir = npmDir
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node parse.js: %v\n%s", err, stderr.Bytes())
	}
	var res struct {
		Version string
		Results []entries
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("node parse.js output: %v", err)
	}
	if res.Version != npmDotenvVersion || len(res.Results) != len(files) {
		t.Fatalf("node parse.js: dotenv %s, %d results for %d files", res.Version, len(res.Results), len(files))
	}
	return res.Results
}

// TestNPM compares Parse and Write with the real npm dotenv: the corpus, a
// few thousand generated files, and a file written by Write. Everything goes
// through one node process.
func TestNPM(t *testing.T) {
	node := installNPMDotenv(t)
	dir := t.TempDir()

	corpus := corpusFiles(t)
	files := slices.Clone(corpus)

	r := rand.New(rand.NewPCG(1, 2))
	var generated []string
	for i := range 3000 {
		name := filepath.Join(dir, fmt.Sprintf("gen%04d.env", i))
		if err := os.WriteFile(name, []byte(randomFile(r)), 0o600); err != nil {
			t.Fatal(err)
		}
		generated = append(generated, name)
	}
	files = append(files, generated...)

	written, want := writeRandomValues(t, rand.New(rand.NewPCG(3, 4)), 300)
	roundTrip := filepath.Join(dir, "written.env")
	if err := os.WriteFile(roundTrip, written, 0o600); err != nil {
		t.Fatal(err)
	}
	files = append(files, roundTrip)

	results := npmParse(t, node, files)
	byFile := make(map[string]entries)
	for i, f := range files {
		byFile[f] = results[i]
	}

	t.Run("corpus", func(t *testing.T) {
		checkCorpusWithNPM(t, corpus, byFile)
	})
	t.Run("generated", func(t *testing.T) {
		accepted, noted := 0, 0
		for _, f := range generated {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			pairs, err := Parse("gen.env", data)
			if err != nil {
				checkParseError(t, err, "gen.env")
				continue
			}
			accepted++
			for _, p := range pairs {
				checkNote(t, p.Note)
				if p.Note != "" {
					noted++
				}
			}
			if got := pairsToEntries(pairs); !slices.Equal(got, byFile[f]) {
				t.Errorf("Parse and npm disagree on %q:\n got %q\nnpm %q", data, got, byFile[f])
			}
		}
		t.Logf("%d of %d generated files accepted and read as npm does, with %d notes", accepted, len(generated), noted)
		if accepted < len(generated)/5 {
			t.Errorf("only %d generated files accepted: the generator no longer tests much", accepted)
		}
		if noted < 50 {
			t.Errorf("only %d notes in the generated files: the generator no longer tests the lines npm reads differently", noted)
		}
	})
	t.Run("write", func(t *testing.T) {
		if got := byFile[roundTrip]; !slices.Equal(got, want) {
			t.Errorf("npm reads Write's output differently:\n got %q\nwant %q", got, want)
		}
	})
}

func checkCorpusWithNPM(t *testing.T, corpus []string, npm map[string]entries) {
	refused := readRefused(t)
	golden := make(map[string]entries)
	for _, f := range corpus {
		base := filepath.Base(f)
		golden[base] = npm[f]
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pairs, err := Parse(base, data)
		if r, ok := refused[base]; ok {
			if err == nil {
				t.Errorf("%s: accepted, want refused", base)
			}
			if r.intent != "-" && sameAsIntent(t, npm[f], r.intent) {
				t.Errorf("%s: npm dotenv returns what the file means (%s): why refuse it?", base, r.intent)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", base, err)
			continue
		}
		if got := pairsToEntries(pairs); !slices.Equal(got, npm[f]) {
			t.Errorf("%s:\n got %q\nnpm %q", base, got, npm[f])
		}
	}

	path := filepath.Join(corpusDir, "npm.json")
	if *update {
		var b bytes.Buffer
		b.WriteString("{\n")
		for i, name := range slices.Sorted(maps.Keys(golden)) {
			k, _ := json.Marshal(name)
			v, _ := json.Marshal(golden[name])
			fmt.Fprintf(&b, "  %s: %s", k, v)
			if i < len(golden)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString("}\n")
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if recorded := readGolden(t); !maps.EqualFunc(recorded, golden, slices.Equal) {
		t.Errorf("%s is stale: run go test -run TestNPM -update ./internal/dotenv/", path)
	}
}

// sameAsIntent reports whether npm's result is the intended object, in any
// order.
func sameAsIntent(t *testing.T, got entries, intent string) bool {
	t.Helper()
	var want map[string]string
	if err := json.Unmarshal([]byte(intent), &want); err != nil {
		t.Fatalf("refused.txt: intent %s: %v", intent, err)
	}
	m := make(map[string]string)
	for _, e := range got {
		m[e[0]] = e[1]
	}
	return maps.Equal(m, want)
}

// fileAtoms are the pieces generated files are made of: every character and
// construct that npm's regex treats specially.
var fileAtoms = []string{
	"a", "b1", "_", " ", "\t", "  ", "#", " #", " # c", "#c", "=", ":", ": ",
	"'", "\"", "`", "''", `""`, "\\", `\n`, `\r`, `\"`, `\'`, "$X", "${Y}",
	"\\`", "\n", "\r\n", "\r", "\u00a0", "\ufeff", "\u3000", "\u200b", "\u2028",
	"é", "日", "export ", "x=y", ".", "-", "\u0085", "\x1f", "\v", "\u180e", "\u2029", "\u200a",
}

// randomFile generates a small .env file that is often, but not always,
// well-formed, so that both Parse's acceptance and its refusals are tried.
func randomFile(r *rand.Rand) string {
	var b strings.Builder
	if r.IntN(10) == 0 {
		b.WriteString("\ufeff")
	}
	nl := "\n"
	if r.IntN(5) == 0 {
		nl = "\r\n"
	}
	for range 1 + r.IntN(4) {
		switch r.IntN(20) {
		case 0, 1:
			b.WriteString("# " + atoms(r, 3, ""))
		case 2:
			b.WriteString(atoms(r, 4, ""))
		default:
			b.WriteString(pick(r, "", "", " ", "export ", "\t"))
			if r.IntN(5) == 0 {
				b.WriteString(pick(r, "A.B", "1A", "A-B", "A B", "__proto__", "app.name", "-.", "MY-KEY"))
			} else {
				b.WriteString(pick(r, "A", "B", "a_b", "_x", "export", "A1"))
			}
			b.WriteString(pick(r, "=", "=", "=", " = ", ": ", " =", "=\t", ":"))
			q := pick(r, "", "", "'", "\"", "`")
			b.WriteString(pick(r, "", "", " "))
			// Mostly leave out what would end the value early, so that many
			// files are accepted and compared.
			avoid := ""
			if r.IntN(4) > 0 {
				avoid = q + "#\u2028"
				if q == "" {
					avoid = "#\n\r\u2028'\"`"
				}
			}
			b.WriteString(q + atoms(r, 5, avoid))
			if q != "" && r.IntN(3) == 0 {
				// A backslash before a quote of the same kind: npm's
				// regex may end the value there, or keep the backslash.
				b.WriteString(`\` + q + atoms(r, 3, avoid))
			}
			if q != "" && r.IntN(6) > 0 {
				b.WriteString(q)
			}
			b.WriteString(pick(r, "", "", "", " ", " # c", "#c", "x", " \"", atoms(r, 2, "")))
		}
		b.WriteString(nl)
	}
	return b.String()
}

// atoms returns up to n random atoms, none containing a byte of avoid.
func atoms(r *rand.Rand, n int, avoid string) string {
	var b strings.Builder
	for range r.IntN(n + 1) {
		a := fileAtoms[r.IntN(len(fileAtoms))]
		if avoid == "" || !strings.ContainsAny(a, avoid) {
			b.WriteString(a)
		}
	}
	return b.String()
}

func pick(r *rand.Rand, choices ...string) string { return choices[r.IntN(len(choices))] }

// writeRandomValues writes n random values (those Write refuses are dropped,
// after checking the refusal names them) and returns the text and the entries
// it must read back as.
func writeRandomValues(t *testing.T, r *rand.Rand, n int) ([]byte, entries) {
	t.Helper()
	var pairs []Pair
	// Every name form npm dotenv accepts, so that export --format dotenv is
	// checked for them too.
	forms := []string{"V%d", "app.v%d", "MY-KEY-%d", "%dLEADING", "-.%d", "%d"}
	for i := range n {
		pairs = append(pairs, Pair{Name: fmt.Sprintf(forms[i%len(forms)], i), Value: randomValue(r)})
	}
	var buf bytes.Buffer
	err := Write(&buf, pairs)
	if err != nil {
		var ue *UnwritableError
		if !errors.As(err, &ue) {
			t.Fatalf("Write: %v", err)
		}
		refused := ue.Names()
		t.Logf("Write refused %d of %d random values", len(refused), n)
		pairs = slices.DeleteFunc(pairs, func(p Pair) bool { return slices.Contains(refused, p.Name) })
		buf.Reset()
		if err := Write(&buf, pairs); err != nil {
			t.Fatalf("Write without the refused values: %v", err)
		}
	}
	got, err := Parse("written.env", buf.Bytes())
	if err != nil {
		t.Fatalf("Parse(Write(...)): %v", err)
	}
	checkNoNotes(t, got)
	want := pairsToEntries(pairs)
	if g := pairsToEntries(got); !slices.Equal(g, want) {
		t.Fatalf("Parse(Write(...)):\n got %q\nwant %q", g, want)
	}
	return buf.Bytes(), want
}
