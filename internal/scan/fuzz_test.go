package scan

import (
	"strings"
	"testing"
)

// FuzzParseDiff: any git output (or garbage) parses without panicking, and
// every added line gets a line number.
func FuzzParseDiff(f *testing.F) {
	f.Add([]byte(sampleLog))
	f.Add([]byte("diff --git a/x b/x\n+++ b/x\n@@ -0,0 +1,2 @@\n+a\n+b\n"))
	f.Add([]byte("diff --git \"a/\\303\\251\" \"b/\\303\\251\"\n+++ \"b/\\303\\251\"\n@@ -1 +1 @@\n+\\\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseDiff(strings.NewReader(string(data)), func(c Change) error {
			if n := strings.Count(string(c.Data), "\n"); len(c.Lines) > 0 && n != len(c.Lines)-1 {
				t.Fatalf("%d lines of text but %d line numbers", n+1, len(c.Lines))
			}
			return nil
		})
	})
}

// FuzzScan: any text scans without panicking; findings point at lines
// that exist and never quote the text.
func FuzzScan(f *testing.F) {
	v := NewValues()
	v.Add("fuzz-secret-value", "F in dev")
	s := New(v)
	f.Add([]byte("x fuzz-secret-value y\n"), "")
	f.Add([]byte(join("-----BEGIN ", "PRIVATE KEY-----\n", strings.Repeat("A", 64))), "")
	f.Add([]byte(join("postgres://u:", "pw12345678", "@h/db ", "eyJ", "a.eyJb.c")), "")
	f.Fuzz(func(t *testing.T, data []byte, allow string) {
		for _, fd := range s.Scan(Text{Path: "p", Data: data}) {
			if fd.Line < 1 || fd.Line > strings.Count(string(data), "\n")+1 {
				t.Fatalf("line %d out of range", fd.Line)
			}
			if fd.Description == "" || fd.Rule == "" {
				t.Fatalf("empty finding %+v", fd)
			}
		}
	})
}

// FuzzIgnore: any scanignore text and path match without panicking.
func FuzzIgnore(f *testing.F) {
	f.Add("testdata/\n!keep\n**/x/**\n[a-", "a/testdata/b")
	f.Fuzz(func(t *testing.T, patterns, path string) {
		ParseIgnore([]byte(patterns)).Match(path)
	})
}
