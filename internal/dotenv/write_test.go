package dotenv

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestWriteQuoting(t *testing.T) {
	tests := []struct{ value, want string }{
		{"", "K=\n"},
		{"plain", "K=plain\n"},
		{"with spaces", "K=with spaces\n"},
		{"$HOME=${X}:\\", "K=$HOME=${X}:\\\n"},
		{"it's \"x\"", "K=it's \"x\"\n"},
		{" lead", "K=' lead'\n"},
		{"trail\t", "K='trail\t'\n"},
		{"\u00a0nbsp", "K='\u00a0nbsp'\n"},
		{"a#b", "K='a#b'\n"},
		{"'start", "K=\"'start\"\n"},
		{"\"start", "K='\"start'\n"},
		{"`start", "K='`start'\n"},
		{"it's #1", "K=\"it's #1\"\n"},
		{"it's \"#1\"", "K=`it's \"#1\"`\n"},
		{"line1\nline2", "K=\"line1\\nline2\"\n"},
		{"cr\r\nlf", "K=\"cr\\r\\nlf\"\n"},
		{"back\\\nslash", "K=\"back\\\\nslash\"\n"},
		{"say \"hi\"\nbye", "K='say \"hi\"\nbye'\n"},
		{"lit \\n\nreal", "K='lit \\n\nreal'\n"},
		{"\"lit\" 'q' \\n\n", "K=`\"lit\" 'q' \\n\n`\n"},
		{"sep\u2028x", "K='sep\u2028x'\n"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := Write(&buf, []Pair{{Name: "K", Value: tt.value}}); err != nil {
			t.Errorf("Write(%q): %v", tt.value, err)
			continue
		}
		if buf.String() != tt.want {
			t.Errorf("Write(%q) = %q, want %q", tt.value, buf.String(), tt.want)
		}
		got, err := Parse("out.env", buf.Bytes())
		if err != nil || len(got) != 1 || got[0].Value != tt.value {
			t.Errorf("Parse(Write(%q)) = %+v, %v", tt.value, got, err)
		}
	}
}

func TestWriteNames(t *testing.T) {
	pairs := []Pair{{Name: "app.name", Value: "x"}, {Name: "MY-KEY", Value: "y"}, {Name: "1LEADING_DIGIT", Value: "z"}, {Name: "-.", Value: "w"}}
	var buf bytes.Buffer
	if err := Write(&buf, pairs); err != nil {
		t.Fatal(err)
	}
	if want := "app.name=x\nMY-KEY=y\n1LEADING_DIGIT=z\n-.=w\n"; buf.String() != want {
		t.Errorf("Write = %q, want %q", buf.String(), want)
	}
	got, err := Parse("out.env", buf.Bytes())
	if err != nil || !slices.Equal(got, []Pair{{"app.name", "x", 1, ""}, {"MY-KEY", "y", 2, ""}, {"1LEADING_DIGIT", "z", 3, ""}, {"-.", "w", 4, ""}}) {
		t.Errorf("Parse(Write(...)) = %+v, %v", got, err)
	}
}

func TestWriteRefuses(t *testing.T) {
	pairs := []Pair{
		{Name: "OK", Value: "fine"},
		{Name: "ALL_QUOTES", Value: "'s3cr\"t`"},
		{Name: "BACKSLASH", Value: " s3cret\\"},
		{Name: "CR_AND_DQUOTE", Value: "s3cr\"t\r'"},
		{Name: "LITERAL_N_CR", Value: "s3cret\\n\r"},
		{Name: "NUL", Value: "s3cret\x00"},
		{Name: "BAD_UTF8", Value: "s3cret\xff"},
		{Name: "bad name", Value: "s3cret"},
		{Name: "__proto__", Value: "s3cret"},
		{Name: "OK", Value: "s3cret"},
	}
	var buf bytes.Buffer
	err := Write(&buf, pairs)
	var ue *UnwritableError
	if !errors.As(err, &ue) {
		t.Fatalf("Write: %v, want *UnwritableError", err)
	}
	if buf.Len() != 0 {
		t.Errorf("Write wrote %q despite refusing", buf.String())
	}
	wantNames := []string{"ALL_QUOTES", "BACKSLASH", "CR_AND_DQUOTE", "LITERAL_N_CR", "NUL", "BAD_UTF8", "bad name", "__proto__", "OK"}
	if !slices.Equal(ue.Names(), wantNames) {
		t.Errorf("refused %q, want %q", ue.Names(), wantNames)
	}
	msg := err.Error()
	if strings.Contains(msg, "s3cr") {
		t.Errorf("error %q reveals a value", msg)
	}
	for _, n := range wantNames[:6] {
		if !strings.Contains(msg, n) {
			t.Errorf("error %q does not name %s", msg, n)
		}
	}
	if !strings.Contains(msg, `"bad name" (`) || !strings.Contains(msg, "OK (duplicate name)") {
		t.Errorf("error %q: want invalid names quoted and the duplicate named", msg)
	}
}

// valueAtoms are the pieces random values are made of: everything that needs
// quoting or escaping in some dialect.
var valueAtoms = []string{
	"a", "Z", "9", " ", "  ", "\t", "#", " #", "'", "\"", "`", "\\", `\n`, `\r`,
	"\n", "\r", "\r\n", "$", "${X}", "=", ":", "é", "日本", "🔐", "\u00a0", "\u3000",
	"\u200b", "\ufeff", "\u2028", "\u2029", "export ", "x=y", "'q'", "\"q\"", "`q`",
}

func randomValue(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(9) {
		b.WriteString(valueAtoms[r.IntN(len(valueAtoms))])
	}
	return b.String()
}

// TestWriteRoundTrip is the property that Write's output reads back through
// Parse to the same values, or that Write refuses the value by name; the
// differential test checks the same file with npm dotenv.
func TestWriteRoundTrip(t *testing.T) {
	writeRandomValues(t, rand.New(rand.NewPCG(5, 6)), 5000)
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteReportsWriterError(t *testing.T) {
	if err := Write(failWriter{}, []Pair{{Name: "A", Value: "1"}}); err == nil || err.Error() != "disk full" {
		t.Errorf("Write to a failing writer = %v", err)
	}
}
