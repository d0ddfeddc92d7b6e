package dotenv

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// allReasons is every reason an error of this package may carry: an error
// made only of these and a file name cannot hold a secret.
var allReasons = []string{
	reasonNotUTF8, reasonNUL, reasonLineSeparator, reasonNoEquals, reasonNoName,
	reasonBadNameChar, reasonNameDotDash, reasonNameDigit, reasonProto,
	reasonExpectEquals, reasonHashGlued, reasonUnterminated, reasonEscapedQuote,
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
			}
			if !slices.Equal(gotKV, tt.want) {
				t.Errorf("Parse(%q)\n got %q\nwant %q", tt.in, gotKV, tt.want)
			}
		})
	}
}

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
		{"dot in name", "a.b=hunter2\n", 1, reasonNameDotDash},
		{"dash in name", "export a-b=hunter2\n", 1, reasonNameDotDash},
		{"digit first", "1A=hunter2\n", 1, reasonNameDigit},
		{"non-ascii name", "KÉY=hunter2\n", 1, reasonBadNameChar},
		{"symbol in name", "npm_config_@x:registry=hunter2\n", 1, reasonBadNameChar},
		{"proto", "__proto__=hunter2\n", 1, reasonProto},
		{"space before colon", "A : hunter2\n", 1, reasonExpectEquals},
		{"colon glued", "A:hunter2\n", 1, reasonExpectEquals},
		{"colon at end", "A:\nB=hunter2\n", 1, reasonExpectEquals},
		{"space in name", "A B=hunter2\n", 1, reasonExpectEquals},
		{"glued hash", "A=1\nB=hunter2#x\n", 2, reasonHashGlued},
		{"hash first", "A=#hunter2\n", 1, reasonHashGlued},
		{"unterminated double", "A=\"hunter2\nB=1\n", 1, reasonUnterminated},
		{"unterminated single", "A=1\n\nB='hunter2\n", 3, reasonUnterminated},
		{"unterminated backtick", "A=`hunter2", 1, reasonUnterminated},
		{"text after quote", "A=\"hunter\"2\n", 1, reasonAfterQuote},
		{"doubled quote", "A='hunter''2'\n", 1, reasonAfterQuote},
		{"quote swallows lines", "A=\"hunter2\nB=1\nC=\"x\"\n", 1, reasonAfterMultiQuote},
		{"escaped quote", `A="hunter\"2"`, 1, reasonEscapedQuote},
		{"escaped single quote", `A='hunter\'2'`, 1, reasonEscapedQuote},
		{"escaped quote then later quote", "A=\"hunter2\\\"\nB=1 \"\n", 1, reasonEscapedQuote},
		{"escaped quote then text", `A="hunter2\" x`, 1, reasonEscapedQuote},
		{"multi-line escaped quote", "A=\"x\nhunter2\\\"\nB=\\\"\n", 2, reasonEscapedQuote},
		{"line separator unquoted", "A=hunter\u20282\n", 1, reasonLineSeparator},
		{"line separator in comment", "# hunter\u20292=1\n", 1, reasonLineSeparator},
		{"line separator after quote", "A='x' \u2028B=hunter2\n", 1, reasonAfterQuote},
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
// trackers; refused.txt lists those Parse must refuse, and npm.json records
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

func pairsToEntries(pairs []Pair) entries {
	e := entries{}
	for _, p := range pairs {
		e = append(e, [2]string{p.Name, p.Value})
	}
	return e
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
	if len(files) < 45 {
		t.Errorf("corpus has %d files, want at least 45", len(files))
	}
	accepted := 0
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
		want, ok := golden[base]
		if !ok {
			t.Errorf("%s: not in npm.json (run the differential test with -update)", base)
			continue
		}
		if got := pairsToEntries(pairs); !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nnpm %q", base, got, want)
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
