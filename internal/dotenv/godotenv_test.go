package dotenv

import (
	"slices"
	"strings"
	"testing"
)

func TestParseGodotenv(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Pair
	}{
		{"expansion", "B=x\nA=${B}-$B\nC='${B}'\nD=\"${B}\"\n",
			[]Pair{{Name: "A", Value: "x-x"}, {Name: "B", Value: "x"}, {Name: "C", Value: "${B}"}, {Name: "D", Value: "x"}}},
		{"undefined expands to empty", "A=${ENVSAFE_TEST_UNDEFINED}x\n", []Pair{{Name: "A", Value: "x"}}},
		{"escaped dollar", `A="\$B"`, []Pair{{Name: "A", Value: "$B"}}},
		{"hash needs a space", "A=abc#def\nB=abc #def\n", []Pair{{Name: "A", Value: "abc#def"}, {Name: "B", Value: "abc"}}},
		{"escapes in double quotes", `A="a\nb\"c"`, []Pair{{Name: "A", Value: "a\nb\"c"}}},
		{"export and colon", "export A=1\nB: 2\n", []Pair{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}}},
		{"bom and crlf", "\uFEFFZ=1\r\nA=2\r\n", []Pair{{Name: "A", Value: "2"}, {Name: "Z", Value: "1"}}},
		{"multi-line", "A=\"1\n2\"\n", []Pair{{Name: "A", Value: "1\n2"}}},
		{"dotted and digit names", "a.b=1\n1A=2\n", []Pair{{Name: "1A", Value: "2"}, {Name: "a.b", Value: "1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseGodotenv(".env", []byte(tt.in))
			if err != nil {
				t.Fatalf("ParseGodotenv: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParseGodotenv(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseGodotenvRefuses(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		reason   string
	}{
		{"dash in name", "a-b=hunter2\n", 0, reasonGodotenvName},
		{"unicode name", "Kê=hunter2\n", 0, reasonBadNameChar},
		{"non-letter byte in name", "KÉY=hunter2\n", 0, reasonGodotenvName},
		{"bad character", "A$B=hunter2\n", 0, reasonGodotenvName},
		{"no equals", "A=1\nSECRET\nB=hunter2\n", 0, reasonGodotenvName},
		{"no equals at the end", "SECRET", 0, reasonNoName},
		{"unterminated", "A=\"hunter2\n", 0, reasonUnterminated},
		{"not utf8", "A=1\nB=hunter\xff2\n", 2, reasonNotUTF8},
		{"nul", "A=hunter\x002\n", 1, reasonNUL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pairs, err := ParseGodotenv("go.env", []byte(tt.in))
			if err == nil {
				t.Fatalf("ParseGodotenv(%q) = %v, want an error", tt.in, pairs)
			}
			pe := checkParseError(t, err, "go.env")
			if pe.Line != tt.line || pe.Reason != tt.reason {
				t.Errorf("error at line %d %q, want line %d %q", pe.Line, pe.Reason, tt.line, tt.reason)
			}
			for _, secret := range []string{"hunter", "SECRET", "KÉY"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q reveals %q", err, secret)
				}
			}
		})
	}
}
