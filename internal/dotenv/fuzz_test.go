package dotenv

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// addCorpusSeeds seeds a fuzz target with the corpus files, except the long
// ones: the fuzzer spends more time minimizing their mutations than they
// teach it.
func addCorpusSeeds(f *testing.F, add func(data []byte)) {
	f.Helper()
	for _, file := range corpusFiles(f) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) <= 2048 {
			add(data)
		}
	}
}

// FuzzParse checks that Parse never panics, that its errors are made only of
// the file name, a line of the file and a fixed reason, and that whatever it
// accepts survives Write and Parse again.
func FuzzParse(f *testing.F) {
	addCorpusSeeds(f, func(data []byte) { f.Add(data) })
	f.Fuzz(func(t *testing.T, data []byte) {
		pairs, err := Parse("fuzz.env", data)
		if err != nil {
			pe := checkParseError(t, err, "fuzz.env")
			if lines := lineAt(data, len(data)); pe.Line < 1 || pe.Line > lines {
				t.Fatalf("error names line %d of a %d-line file", pe.Line, lines)
			}
			return
		}
		for _, p := range pairs {
			if checkNPMName(p.Name) != "" || !utf8.ValidString(p.Value) || strings.IndexByte(p.Value, 0) >= 0 {
				t.Fatalf("Parse accepted %q=%q", p.Name, p.Value)
			}
			checkNote(t, p.Note)
		}
		var buf bytes.Buffer
		if err := Write(&buf, pairs); err != nil {
			checkUnwritable(t, err, pairs)
			return
		}
		again, err := Parse("written.env", buf.Bytes())
		if err != nil {
			t.Fatalf("Parse(Write(%q)): %v\n%q", pairsToEntries(pairs), err, buf.String())
		}
		checkNoNotes(t, again)
		if !slices.Equal(pairsToEntries(again), pairsToEntries(pairs)) {
			t.Fatalf("round trip changed\n%+q\nto\n%+q\nthrough %q", pairsToEntries(pairs), pairsToEntries(again), buf.String())
		}
	})
}

// FuzzWriteParse checks that two arbitrary values either come back unchanged
// from Write and Parse, or are refused by name without showing the value.
func FuzzWriteParse(f *testing.F) {
	addCorpusSeeds(f, func(data []byte) {
		pairs, err := Parse("seed.env", data)
		if err != nil {
			return
		}
		for i := 0; i+1 < len(pairs); i += 2 {
			f.Add(pairs[i].Value, pairs[i+1].Value)
		}
	})
	f.Add("'\"`", " \\")
	f.Fuzz(func(t *testing.T, a, b string) {
		pairs := []Pair{{Name: "A", Value: a}, {Name: "B", Value: b}}
		var buf bytes.Buffer
		if err := Write(&buf, pairs); err != nil {
			checkUnwritable(t, err, pairs)
			return
		}
		got, err := Parse("written.env", buf.Bytes())
		if err != nil {
			t.Fatalf("Parse(Write(%q)): %v\n%q", pairsToEntries(pairs), err, buf.String())
		}
		checkNoNotes(t, got)
		if !slices.Equal(pairsToEntries(got), pairsToEntries(pairs)) {
			t.Fatalf("round trip changed\n%q\nto\n%q\nthrough %q", pairsToEntries(pairs), pairsToEntries(got), buf.String())
		}
	})
}

// checkNoNotes fails if Parse noted a line of Write's output: Write must
// write every value so that it looks like what npm dotenv reads.
func checkNoNotes(t testing.TB, pairs []Pair) {
	t.Helper()
	for _, p := range pairs {
		if p.Note != "" {
			t.Fatalf("Write's line for %s reads with a note: %s", p.Name, p.Note)
		}
	}
}

// checkUnwritable fails unless err refuses only names from pairs, each for
// one of the fixed reasons.
func checkUnwritable(t *testing.T, err error, pairs []Pair) {
	t.Helper()
	var ue *UnwritableError
	if !errors.As(err, &ue) || len(ue.Vars) == 0 {
		t.Fatalf("Write: %v, want *UnwritableError", err)
	}
	reasons := append([]string{reasonWriteDuplicate, reasonWriteNoQuoting}, allReasons...)
	for _, v := range ue.Vars {
		if !slices.Contains(reasons, v.Reason) {
			t.Errorf("reason %q is not a fixed reason", v.Reason)
		}
		if !slices.ContainsFunc(pairs, func(p Pair) bool { return p.Name == v.Name }) {
			t.Errorf("refused name %q was not written", v.Name)
		}
	}
}

// FuzzParseGodotenv checks that the godotenv dialect never panics, returns
// only valid names in order, and never lets godotenv's messages, which quote
// the file, into its errors.
func FuzzParseGodotenv(f *testing.F) {
	addCorpusSeeds(f, func(data []byte) { f.Add(data) })
	f.Fuzz(func(t *testing.T, data []byte) {
		pairs, err := ParseGodotenv("fuzz.env", data)
		if err != nil {
			checkParseError(t, err, "fuzz.env")
			return
		}
		for i, p := range pairs {
			if checkName(p.Name) != "" || p.Line != 0 || (i > 0 && pairs[i-1].Name >= p.Name) {
				t.Fatalf("ParseGodotenv returned %+q", pairsToEntries(pairs))
			}
		}
	})
}

// FuzzNPM compares Parse with the real npm dotenv on fuzzed files: whatever
// Parse accepts, npm must read the same way. Each fuzz worker keeps one node
// process answering a file per line.
func FuzzNPM(f *testing.F) {
	node := installNPMDotenv(f)
	cmd := exec.Command(node, "parse.js", "--lines")
	cmd.Dir = npmDir
	stdin, err := cmd.StdinPipe()
	if err != nil {
		f.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		f.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	answers := bufio.NewScanner(stdout)
	answers.Buffer(nil, 1<<24)

	addCorpusSeeds(f, func(data []byte) { f.Add(data) })
	f.Fuzz(func(t *testing.T, data []byte) {
		pairs, err := Parse("fuzz.env", data)
		if err != nil {
			return
		}
		if _, err := stdin.Write([]byte(base64.StdEncoding.EncodeToString(data) + "\n")); err != nil {
			t.Fatal(err)
		}
		if !answers.Scan() {
			t.Fatalf("node stopped answering: %v", answers.Err())
		}
		var npm entries
		if err := json.Unmarshal(answers.Bytes(), &npm); err != nil {
			t.Fatal(err)
		}
		if got := pairsToEntries(pairs); !slices.Equal(got, npm) {
			t.Fatalf("Parse and npm disagree on %q:\n got %q\nnpm %q", data, got, npm)
		}
	})
}
