// Package scan finds secrets where they should not be: well-known
// credential shapes (cloud keys, tokens, private keys, JWTs, passwords in
// URLs), plaintext .env files, and exact copies of a project's own secret
// values, which it recognises by keyed hash without keeping the values.
//
// It reads a working tree (walking the folder, or the files git lists), the
// changes staged for commit, or every commit's diff, and reports findings
// by path, line and rule, never with the text that matched. It never
// starts git itself: the caller hands it a Git, so the command line decides
// how git runs and tests can stand in for it.
package scan

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// AllowMarker on a line keeps every finding on that line out of the report,
// for a value that is known not to be a secret (a test fixture, an example).
const AllowMarker = "envsafe:allow"

// Finding is one thing found. It never carries the matched text.
type Finding struct {
	// Commit is set when scanning git history.
	Commit string `json:"commit,omitempty"`
	Path   string `json:"path"`
	// Line is 1-based; 0 for findings about a whole file.
	Line        int    `json:"line"`
	Rule        string `json:"rule"`
	Description string `json:"description"`
}

// String is the line a report shows: [COMMIT ]FILE[:LINE]: RULE: WHAT,
// with the commit cut to 12 characters. A file name holding control
// characters is quoted, so a name chosen by whoever pushed cannot move the
// cursor or recolour the terminal of whoever scans.
func (f Finding) String() string {
	where := f.Path
	if strings.ContainsFunc(where, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError }) {
		where = strconv.Quote(where)
	}
	if f.Line > 0 {
		where = fmt.Sprintf("%s:%d", where, f.Line)
	}
	if f.Commit != "" {
		where = f.Commit[:min(len(f.Commit), 12)] + " " + where
	}
	return fmt.Sprintf("%s: %s: %s", where, f.Rule, f.Description)
}

// Scanner holds compiled rules and, optionally, the hashes of a project's
// secret values. Build one per run with New; it is safe for concurrent use.
type Scanner struct {
	rules  []*rule
	values *Values
}

// New compiles the credential rules (at run time, not at program start, so
// commands that never scan never pay for it). values may be nil; add every
// value to it before calling New.
func New(values *Values) *Scanner {
	if values != nil {
		values.buildFilter()
	}
	return &Scanner{rules: compileRules(), values: values}
}

// RuleIDs lists the rules a Scanner applies, with their descriptions, in
// the order they are documented.
func RuleIDs() [][2]string {
	var out [][2]string
	for _, r := range ruleSpecs() {
		out = append(out, [2]string{r.id, r.desc})
	}
	out = append(out, [2]string{RuleSecretValue, "the value of one of this project's secrets"},
		[2]string{RuleDotenvFile, "a plaintext .env file that git tracks or does not ignore"})
	return out
}

// Text is what to scan: the content of a file, or the lines a diff adds.
type Text struct {
	Commit string
	Path   string
	Data   []byte
	// Lines maps the n-th line of Data (0-based) to its line in the file.
	// Nil means Data is the whole file, so line n is line n+1.
	Lines []int
}

// Scan reports the findings in t, sorted by line then rule, one per rule
// and line, leaving out lines that carry AllowMarker.
func (s *Scanner) Scan(t Text) []Finding {
	if len(t.Data) == 0 {
		return nil
	}
	idx := &lineIndex{data: t.Data}
	type key struct {
		line int
		rule string
		desc string
	}
	seen := map[key]bool{}
	var out []Finding
	report := func(offset int, ruleID, desc string) {
		n := idx.lineOf(offset)
		if idx.allowed(n) {
			return
		}
		line := n + 1
		if t.Lines != nil {
			if n >= len(t.Lines) {
				return
			}
			line = t.Lines[n]
		}
		k := key{line, ruleID, desc}
		if seen[k] {
			return
		}
		seen[k] = true
		out = append(out, Finding{Commit: t.Commit, Path: t.Path, Line: line, Rule: ruleID, Description: desc})
	}
	lower := asciiLower(t.Data)
	for _, r := range s.rules {
		r.find(t.Data, lower, func(offset int) { report(offset, r.id, r.desc) })
	}
	if s.values != nil {
		s.values.find(t.Data, func(offset int, label string) {
			report(offset, RuleSecretValue, "the value of "+label)
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Rule < out[j].Rule
	})
	return out
}

// IsBinary reports data git would call binary: a NUL in the first 8000 bytes.
func IsBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0
}

// lineIndex finds the line of an offset, building the table of line starts
// only once something is found.
type lineIndex struct {
	data   []byte
	starts []int
}

func (x *lineIndex) build() {
	if x.starts != nil {
		return
	}
	x.starts = append(x.starts, 0)
	for i, c := range x.data {
		if c == '\n' {
			x.starts = append(x.starts, i+1)
		}
	}
}

// lineOf returns the 0-based line holding offset.
func (x *lineIndex) lineOf(offset int) int {
	x.build()
	return sort.Search(len(x.starts), func(i int) bool { return x.starts[i] > offset }) - 1
}

// allowed reports whether 0-based line n carries AllowMarker.
func (x *lineIndex) allowed(n int) bool {
	x.build()
	start, end := x.starts[n], len(x.data)
	if n+1 < len(x.starts) {
		end = x.starts[n+1]
	}
	return bytes.Contains(x.data[start:end], []byte(AllowMarker))
}

// asciiLower lowers ASCII letters only, keeping every offset the same.
func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// lineBounds returns the start and end (excluding the newline) of the line
// holding offset.
func lineBounds(data []byte, offset int) (int, int) {
	start := bytes.LastIndexByte(data[:offset], '\n') + 1
	end := bytes.IndexByte(data[offset:], '\n')
	if end < 0 {
		return start, len(data)
	}
	return start, offset + end
}
