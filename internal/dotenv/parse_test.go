package dotenv

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// allReasons is every reason an error of this package may carry: an error
// made only of these and a file name cannot hold a secret.
var allReasons = []string{
	reasonNotUTF8, reasonNUL, reasonLineSeparator, reasonNoEquals, reasonNoName,
	reasonBadNameChar, reasonProto,
	reasonExpectEquals, reasonUnterminated, reasonEscapedQuote,
	reasonAfterQuote, reasonAfterMultiQuote, reasonGodotenvName, reasonGodotenvFailed,
}

// checkParseError fails unless err is a *ParseError for file whose message is
// FILE:LINE: reason with one of the fixed reasons, and returns it.
func checkParseError(t testing.TB, err error, file string) *ParseError {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *ParseError", err, err)
	}
	if pe.File != file {
		t.Errorf("error names file %q, want %q", pe.File, file)
	}
	if !slices.Contains(allReasons, pe.Reason) {
		t.Errorf("error reason %q is not one of the fixed reasons", pe.Reason)
	}
	want := fmt.Sprintf("%s:%d: %s", file, pe.Line, pe.Reason)
	if pe.Line == 0 {
		want = file + ": " + pe.Reason
	}
	if pe.Error() != want {
		t.Errorf("Error() = %q, want %q", pe.Error(), want)
	}
	return pe
}

func TestParse(t *testing.T) {
	type kv = [3]string // name, value, line
	tests := []struct {
		name, in string
		want     []kv
	}{
		{"plain", "A=1\nB=two words\n", []kv{{"A", "1", "1"}, {"B", "two words", "2"}}},
		{"spaces around equals", "A = value  \n", []kv{{"A", "value", "1"}}},
		{"tabs", "\tA\t=\tv\t\n", []kv{{"A", "v", "1"}}},
		{"empty", "A=\nB= \nC=''\nD=\"\"\nE=``\n", []kv{{"A", "", "1"}, {"B", "", "2"}, {"C", "", "3"}, {"D", "", "4"}, {"E", "", "5"}}},
		{"empty then comment", "A= # note\n", []kv{{"A", "", "1"}}},
		{"comment after space", "A=v #c\nB=v\t#c\n", []kv{{"A", "v", "1"}, {"B", "v", "2"}}},
		{"comment after quote", "A=\"v\"#c\nB='v' # c\n", []kv{{"A", "v", "1"}, {"B", "v", "2"}}},
		{"hash in quotes", "A='#'\nB=\"a#b\"\nC=`#`\n", []kv{{"A", "#", "1"}, {"B", "a#b", "2"}, {"C", "#", "3"}}},
		{"dollar kept", "A=$B\nC=${D}\nE=\"$F\"\n", []kv{{"A", "$B", "1"}, {"C", "${D}", "2"}, {"E", "$F", "3"}}},
		{"equals in value", "A=b=c\nD==e\n", []kv{{"A", "b=c", "1"}, {"D", "=e", "2"}}},
		{"export", "export A=1\nexport\tB = 2\n", []kv{{"A", "1", "1"}, {"B", "2", "2"}}},
		{"export as name", "export=1\nexport =2\nexportX=3\n", []kv{{"export", "2", "2"}, {"exportX", "3", "3"}}},
		{"export colon", "export: 1\n", []kv{{"export", "1", "1"}}},
		{"colon separator", "A: 1\nB:\t\"x\"\nC:  \n", []kv{{"A", "1", "1"}, {"B", "x", "2"}, {"C", "", "3"}}},
		{"double quote escapes", `A="a\nb\rc\td\\n"`, []kv{{"A", "a\nb\rc\\td\\\n", "1"}}},
		{"single quotes literal", `A='a\nb'`, []kv{{"A", `a\nb`, "1"}}},
		{"backticks literal", "A=`a\\nb \"x\" 'y'`", []kv{{"A", `a\nb "x" 'y'`, "1"}}},
		{"inner spaces kept", "A=\"  x  \"\n", []kv{{"A", "  x  ", "1"}}},
		{"multi-line", "A=\"1\n2\"\nB='3\n\n4'\nC=5\n", []kv{{"A", "1\n2", "1"}, {"B", "3\n\n4", "3"}, {"C", "5", "6"}}},
		{"crlf", "A=1\r\nB=\"x\r\ny\"\r\nC=3\r\n", []kv{{"A", "1", "1"}, {"B", "x\ny", "2"}, {"C", "3", "4"}}},
		{"lone cr", "A=1\rB=2\r", []kv{{"A", "1", "1"}, {"B", "2", "2"}}},
		{"bom", "\uFEFFA=1\n", []kv{{"A", "1", "1"}}},
		{"js white space trimmed", "A=\u00a0x\u3000\nB=\u200bx\n", []kv{{"A", "x", "1"}, {"B", "\u200bx", "2"}}},
		{"duplicates", "A=1\nB=2\nA=3\n", []kv{{"A", "3", "3"}, {"B", "2", "2"}}},
		{"quotes inside unquoted", "A=it's\nB=x\"\n", []kv{{"A", "it's", "1"}, {"B", "x\"", "2"}}},
		{"trailing backslash unquoted", `A=C:\dir\`, []kv{{"A", `C:\dir\`, "1"}}},
		{"trailing backslash quoted", "A=\"C:\\d\\\"\nB='x\\'\nC=\"y\"\n", []kv{{"A", `C:\d\`, "1"}, {"B", `x\`, "2"}, {"C", "y", "3"}}},
		{"other escapes kept", `A='{"a":"b\"c"}'`, []kv{{"A", `{"a":"b\"c"}`, "1"}}},
		{"line separator in quotes", "A='x\u2028y'\n", []kv{{"A", "x\u2028y", "1"}}},
		{"comment lines", "# c\n  # d\n\n#E=1\n", nil},
		{"no final newline", "A=1", []kv{{"A", "1", "1"}}},
		{"lower case", "a_b=1\n_=2\n", []kv{{"a_b", "1", "1"}, {"_", "2", "2"}}},
		{"npm names", "app.name=x\nspring.datasource.url=jdbc:x\nexport MY-KEY=y\n1LEADING_DIGIT=z\n-.=w\nexport.x: v\n",
			[]kv{{"app.name", "x", "1"}, {"spring.datasource.url", "jdbc:x", "2"}, {"MY-KEY", "y", "3"}, {"1LEADING_DIGIT", "z", "4"}, {"-.", "w", "5"}, {"export.x", "v", "6"}}},
		{"escaped quote of another kind", "A=\"it\\'s\"\nB='say \\\"hi\\\"'\n", []kv{{"A", `it\'s`, "1"}, {"B", `say \"hi\"`, "2"}}},
		{"escaped quote closes a path", "A=\"C:\\d\\\" # dir\nB=\"x\"\n", []kv{{"A", `C:\d\`, "1"}, {"B", "x", "2"}}},
		{"later assignment drops the note", "A=abc#def\nA=ok\n", []kv{{"A", "ok", "2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(".env", []byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var gotKV []kv
			for _, p := range got {
				gotKV = append(gotKV, kv{p.Name, p.Value, strconv.Itoa(p.Line)})
				if p.Note != "" {
					t.Errorf("%s: unexpected note %q", p.Name, p.Note)
				}
			}
			if !slices.Equal(gotKV, tt.want) {
				t.Errorf("Parse(%q)\n got %q\nwant %q", tt.in, gotKV, tt.want)
			}
		})
	}
}

// TestParseNotes covers the lines npm dotenv reads differently from how they
// look: Parse returns npm's value with a note that names what npm keeps or
// cuts, and never any part of the value (every value here holds "hunter").
func TestParseNotes(t *testing.T) {
	dq := escapedQuoteNote('"', "")
	tests := []struct {
		name, in   string
		key, value string
		line       int
		note       string
		others     int // further pairs, all without a note
	}{
		{"glued hash", "USER=app\nPASSWORD=hunter#def\n", "PASSWORD", "hunter", 2, noteHashCut, 1},
		{"colour", "COLOR=#hunter\n", "COLOR", "", 1, noteHashEmpty, 0},
		{"url fragment", "URL=https://hunter/page#frag\n", "URL", "https://hunter/page", 1, noteHashCut, 0},
		{"glued hash then comment", "export A = hunter#2 # note\n", "A", "hunter", 1, noteHashCut, 0},
		{"hash at the end", "A=hunter#\n", "A", "hunter", 1, noteHashCut, 0},
		{"escaped double quotes", `SAY="say \"hunter\""`, "SAY", `say \"hunter\"`, 1, dq, 0},
		{"json", `JSON="{\"hunter\":\"b\"}" # config`, "JSON", `{\"hunter\":\"b\"}`, 1, dq, 0},
		{"escapes still expanded", `A="hunter\n\"x\""`, "A", "hunter\n\\\"x\\\"", 1, dq, 0},
		{"escaped single quote", `A='hunter\'s'`, "A", `hunter\'s`, 1, escapedQuoteNote('\'', ""), 0},
		{"escaped backtick", "A=`hunter\\`s`", "A", "hunter\\`s", 1, escapedQuoteNote('`', ""), 0},
		{"escaped quote ends the value", "A=\"hunter\\\"2\\\"\n", "A", `hunter\"2\`, 1, dq, 0},
		{"escaped quote before a failing quote", "A=\"hunter\\\"2\\\" # c\nB=\"x\"\n", "A", `hunter\"2\`, 1, dq, 1},
		{"multi-line json", "A=1\nJSON=\"{\n  \\\"hunter\\\": 1\n}\"\nB=2\n", "JSON", "{\n  \\\"hunter\\\": 1\n}", 2, escapedQuoteNote('"', fmt.Sprintf(noteSpan, 4)), 2},
		{"value runs on", "A=\"hunter\\\"\nB=1 \"\nC=2\n", "A", "hunter\\\"\nB=1 ", 1, escapedQuoteNote('"', fmt.Sprintf(noteSpan, 2)), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pairs, err := Parse("app.env", []byte(tt.in))
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if len(pairs) != tt.others+1 {
				t.Fatalf("Parse(%q) = %+q, want %d pairs", tt.in, pairsToEntries(pairs), tt.others+1)
			}
			for _, p := range pairs {
				if p.Name != tt.key {
					if p.Note != "" {
						t.Errorf("%s: unexpected note %q", p.Name, p.Note)
					}
					continue
				}
				if p.Value != tt.value || p.Line != tt.line || p.Note != tt.note {
					t.Errorf("%s = %q line %d note %q\nwant %q line %d note %q", p.Name, p.Value, p.Line, p.Note, tt.value, tt.line, tt.note)
				}
				checkNote(t, p.Note)
				want := fmt.Sprintf("app.env:%d: %s: %s", tt.line, tt.key, tt.note)
				if w := p.Warning("app.env"); w != want || strings.Contains(w, "hunter") {
					t.Errorf("Warning = %q, want %q without the value", w, want)
				}
			}
		})
	}
	if w := (Pair{Name: "A", Value: "hunter", Line: 1}).Warning("app.env"); w != "" {
		t.Errorf("Warning without a note = %q", w)
	}
}

// checkNote fails unless note is one of this package's fixed notes (with
// any line number), so that it cannot hold a value.
func checkNote(t testing.TB, note string) {
	t.Helper()
	if note == "" || note == noteHashCut || note == noteHashEmpty {
		return
	}
	generic := lineNumber.ReplaceAllString(note, "line 1")
	for _, q := range []byte("\"'`") {
		if generic == escapedQuoteNote(q, "") || generic == escapedQuoteNote(q, fmt.Sprintf(noteSpan, 1)) {
			return
		}
	}
	t.Errorf("note %q is not one of the fixed notes", note)
}

var lineNumber = regexp.MustCompile(`line [0-9]+`)

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		reason   string
	}{
		{"no equals", "A=1\nSECRETNAME\n", 2, reasonNoEquals},
		{"export without value", "export SECRET\n", 1, reasonNoEquals},
		{"name then equals below", "SECRET\n=hunter2\n", 1, reasonNoEquals},
		{"missing name", "=hunter2\n", 1, reasonNoName},
		{"quote line after empty value", "A=\n'hunter2'\n", 2, reasonNoName},
		{"non-ascii name", "KÉY=hunter2\n", 1, reasonBadNameChar},
		{"symbol in name", "npm_config_@x:registry=hunter2\n", 1, reasonBadNameChar},
		{"proto", "__proto__=hunter2\n", 1, reasonProto},
		{"space before colon", "A : hunter2\n", 1, reasonExpectEquals},
		{"colon glued", "A:hunter2\n", 1, reasonExpectEquals},
		{"colon at end", "A:\nB=hunter2\n", 1, reasonExpectEquals},
		{"space in name", "A B=hunter2\n", 1, reasonExpectEquals},
		{"unterminated double", "A=\"hunter2\nB=1\n", 1, reasonUnterminated},
		{"unterminated single", "A=1\n\nB='hunter2\n", 3, reasonUnterminated},
		{"unterminated backtick", "A=`hunter2", 1, reasonUnterminated},
		{"text after quote", "A=\"hunter\"2\n", 1, reasonAfterQuote},
		{"doubled quote", "A='hunter''2'\n", 1, reasonAfterQuote},
		{"quote swallows lines", "A=\"hunter2\nB=1\nC=\"x\"\n", 1, reasonAfterMultiQuote},
		{"escaped quote then text", `A="hunter2\" x`, 1, reasonEscapedQuote},
		{"every escaped quote followed by text", "A=\"hunter\\\"2\\\" x\nB=1\n", 1, reasonEscapedQuote},
		{"escaped quote then text on a later line", "A=\"x\nhunter2\\\" y\n", 1, reasonAfterMultiQuote},
		{"unterminated after an escaped quote", "A=`x\\`hunter2", 1, reasonEscapedQuote},
		{"line separator unquoted", "A=hunter\u20282\n", 1, reasonLineSeparator},
		{"line separator in comment", "# hunter\u20292=1\n", 1, reasonLineSeparator},
		{"line separator after quote", "A='x' \u2028B=hunter2\n", 1, reasonLineSeparator},
		{"line separator before value", "A=\u2028'hunter2'\n", 1, reasonLineSeparator},
		{"not utf8", "A=1\r\nB=hunter\xff2\n", 2, reasonNotUTF8},
		{"not utf8 after cr", "A=1\rB=2\rC=hunter\xc32\n", 3, reasonNotUTF8},
		{"nul", "A=1\nB=hunter\x002\n", 2, reasonNUL},
		{"utf16", "\xff\xfeA\x00=\x001\x00", 1, reasonNotUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pairs, err := Parse("secrets.env", []byte(tt.in))
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want an error", tt.in, pairs)
			}
			pe := checkParseError(t, err, "secrets.env")
			if pe.Line != tt.line || pe.Reason != tt.reason {
				t.Errorf("Parse(%q) error at line %d %q, want line %d %q", tt.in, pe.Line, pe.Reason, tt.line, tt.reason)
			}
			for _, secret := range []string{"hunter", "SECRET", "KÉY", "npm_config"} {
				if strings.Contains(tt.in, secret) && strings.Contains(err.Error(), secret) {
					t.Errorf("error %q reveals %q", err, secret)
				}
			}
		})
	}
}

// corpusDir holds .env files collected from dotenv's and godotenv's issue
// trackers; refused.txt lists those Parse must refuse, noted.txt the lines
// it accepts with a note, and npm.json records
// what npm dotenv returns for every file (refreshed by the differential test
// with -update).
const corpusDir = "testdata/corpus"

type refusal struct {
	line   int
	intent string // JSON object the file evidently means, or "-"
}

func readRefused(t testing.TB) map[string]refusal {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir, "refused.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	refused := make(map[string]refusal)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if sc.Text() == "" || strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		fields := strings.SplitN(sc.Text(), "\t", 3)
		if len(fields) != 3 {
			t.Fatalf("refused.txt: bad line %q", sc.Text())
		}
		line, err := strconv.Atoi(fields[1])
		if err != nil {
			t.Fatalf("refused.txt: %v", err)
		}
		refused[fields[0]] = refusal{line: line, intent: fields[2]}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return refused
}

// readNoted returns the lines of noted.txt ("file\tline\tname"): the
// assignments of accepted corpus files that must come with a note.
func readNoted(t testing.TB) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, "noted.txt"))
	if err != nil {
		t.Fatal(err)
	}
	noted := make(map[string]bool)
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(strings.Split(line, "\t")) != 3 {
			t.Fatalf("noted.txt: bad line %q", line)
		}
		noted[line] = true
	}
	return noted
}

func corpusFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.env"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// entries is a parse result in the shape the npm helper prints it.
type entries [][2]string

// pairsToEntries lists pairs in the order Object.entries lists npm's
// result: JavaScript puts the names that are array indices ("0", "42") first,
// in numeric order, then the others in the order they were first assigned.
// Parse keeps the file's order, which is all envsafe needs.
func pairsToEntries(pairs []Pair) entries {
	e := entries{}
	for _, p := range pairs {
		e = append(e, [2]string{p.Name, p.Value})
	}
	slices.SortStableFunc(e, func(a, b [2]string) int {
		i, aIndex := arrayIndex(a[0])
		j, bIndex := arrayIndex(b[0])
		switch {
		case aIndex && bIndex:
			return cmp.Compare(i, j)
		case aIndex:
			return -1
		case bIndex:
			return 1
		}
		return 0
	})
	return e
}

// arrayIndex reports whether JavaScript takes name as an array index: the
// canonical decimal form of an integer below 2^32-1.
func arrayIndex(name string) (uint64, bool) {
	n, err := strconv.ParseUint(name, 10, 64)
	if err != nil || n >= 1<<32-1 || strconv.FormatUint(n, 10) != name {
		return 0, false
	}
	return n, true
}

func readGolden(t testing.TB) map[string]entries {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, "npm.json"))
	if err != nil {
		t.Fatal(err)
	}
	var golden map[string]entries
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatal(err)
	}
	return golden
}

// TestCorpus checks every corpus file against what npm dotenv returned for
// it (recorded in npm.json), so that the corpus is checked even where node
// is not installed.
func TestCorpus(t *testing.T) {
	files := corpusFiles(t)
	refused := readRefused(t)
	golden := readGolden(t)
	noted := readNoted(t)
	if len(files) < 45 {
		t.Errorf("corpus has %d files, want at least 45", len(files))
	}
	accepted := 0
	gotNotes := make(map[string]bool)
	for _, file := range files {
		base := filepath.Base(file)
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		pairs, err := Parse(base, data)
		if r, ok := refused[base]; ok {
			if err == nil {
				t.Errorf("%s: accepted, want refused at line %d", base, r.line)
				continue
			}
			if pe := checkParseError(t, err, base); pe.Line != r.line {
				t.Errorf("%s: refused at line %d (%s), want line %d", base, pe.Line, pe.Reason, r.line)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", base, err)
			continue
		}
		accepted++
		for _, p := range pairs {
			if p.Note == "" {
				continue
			}
			checkNote(t, p.Note)
			key := fmt.Sprintf("%s\t%d\t%s", base, p.Line, p.Name)
			gotNotes[key] = true
			if !noted[key] {
				t.Errorf("%s:%d: %s: unexpected note %q (list it in noted.txt if npm reads the line differently from how it looks)", base, p.Line, p.Name, p.Note)
			}
		}
		want, ok := golden[base]
		if !ok {
			t.Errorf("%s: not in npm.json (run the differential test with -update)", base)
			continue
		}
		if got := pairsToEntries(pairs); !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nnpm %q", base, got, want)
		}
	}
	for key := range noted {
		if !gotNotes[key] {
			t.Errorf("noted.txt: no note for %q", key)
		}
	}
	for name := range refused {
		if _, err := os.Stat(filepath.Join(corpusDir, name)); err != nil {
			t.Errorf("refused.txt lists a missing file: %v", err)
		}
	}
	t.Logf("%d corpus files: %d accepted, %d refused", len(files), accepted, len(files)-accepted)
}

// benchFile builds a realistic file of n lines: comments, plain, quoted and
// multi-line values.
func benchFile(n int) []byte {
	var b strings.Builder
	for i := 0; i < n; i++ {
		switch i % 6 {
		case 0:
			fmt.Fprintf(&b, "# setting %d\n", i)
		case 1:
			fmt.Fprintf(&b, "PLAIN_%d=value-%d-abcdefghijklmnop\n", i, i)
		case 2:
			fmt.Fprintf(&b, "export QUOTED_%d=\"a value with spaces and a \\n newline\" # comment\n", i)
		case 3:
			fmt.Fprintf(&b, "SINGLE_%d='p@$$w0rd#%d'\n", i, i)
		case 4:
			fmt.Fprintf(&b, "URL_%d = postgres://user:pass@host:5432/db?sslmode=require\n", i)
		case 5:
			fmt.Fprintf(&b, "MULTI_%d=\"line one\nline two\"\n", i)
			i++
		}
	}
	return []byte(b.String())
}

func BenchmarkParse(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		data := benchFile(n)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse("bench.env", data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
