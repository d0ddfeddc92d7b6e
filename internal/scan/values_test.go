package scan

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestValuesFindExactCopiesOnly(t *testing.T) {
	v := NewValues()
	v.Add("correct-horse-battery", "DB_PASSWORD in production")
	v.Add("short", "PORT in production")            // under MinValueLen: ignored
	v.Add("line1\nline2\nline3", "CERT in staging") // multi-line values match across lines
	v.Add("correct-horse-battery", "DB_PASS in staging")
	if v.Len() != 2 {
		t.Fatalf("%d values held, want 2", v.Len())
	}
	s := New(v)
	data := "a\nurl = \"pg://u:correct-horse-battery@db\"\nport short short\ncorrect-horse-batter\nx line1\nline2\nline3 y\n"
	fs := s.Scan(Text{Path: "cfg", Data: []byte(data)})
	var got []string
	for _, f := range fs {
		if f.Rule == RuleSecretValue {
			got = append(got, fmt.Sprintf("%d:%s", f.Line, f.Description))
		}
	}
	want := []string{"2:the value of DB_PASSWORD in production, DB_PASS in staging", "5:the value of CERT in staging"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestValuesHoldNoPlaintext(t *testing.T) {
	v := NewValues()
	secret := "Zq8-unique-Secret-Value-91"
	v.Add(secret, "X in dev")
	dump := fmt.Sprintf("%#v", *v)
	if strings.Contains(dump, secret[:8]) || strings.Contains(dump, secret[8:]) {
		t.Fatal("Values holds part of the value in the clear")
	}
}

func TestValuesAtEveryOffsetAndEdge(t *testing.T) {
	v := NewValues()
	v.Add("k3y-9Zx!", "A in dev")
	s := New(v)
	for _, data := range []string{"k3y-9Zx!", "xk3y-9Zx!", "k3y-9Zx!x", "\n\nk3y-9Zx!"} {
		if fs := s.Scan(Text{Path: "f", Data: []byte(data)}); len(fs) != 1 {
			t.Errorf("%q: %+v", data, fs)
		}
	}
	for _, data := range []string{"k3y-9Zx", "k3y-9Zx\n!", ""} {
		if fs := s.Scan(Text{Path: "f", Data: []byte(data)}); len(fs) != 0 {
			t.Errorf("%q: %+v", data, fs)
		}
	}
}

func TestDiffTextsMapLines(t *testing.T) {
	v := NewValues()
	v.Add("leaked-value-123", "K in dev")
	fs := New(v).Scan(Text{Path: "f", Commit: "c1", Data: []byte("a\nb leaked-value-123\nc"), Lines: []int{10, 20, 30}})
	if len(fs) != 1 || fs[0].Line != 20 || fs[0].Commit != "c1" {
		t.Fatalf("%+v", fs)
	}
}

// BenchmarkScanLargeText is the cost per byte of a working-tree or history
// scan with a project of 500 secrets: the prefilter, the rules' keyword
// search, and the rare HMACs.
func BenchmarkScanLargeText(b *testing.B) {
	v := NewValues()
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		buf := make([]byte, 8+r.IntN(40))
		for j := range buf {
			buf[j] = byte('a' + r.IntN(26))
		}
		v.Add(string(buf), fmt.Sprintf("S%d in prod", i))
	}
	s := New(v)
	var src bytes.Buffer
	for src.Len() < 8<<20 {
		fmt.Fprintf(&src, "func f%d(x int) string { return fmt.Sprintf(\"https://example.com/%%d\", x+%d) }\n", src.Len(), src.Len())
	}
	data := src.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		s.Scan(Text{Path: "big.go", Data: data})
	}
}

// Values that appear in code for other reasons are not searched for: the
// quickstart imports NODE_ENV=production, and a hook that then stopped every
// commit mentioning "production" would be switched off.
func TestLooksSecret(t *testing.T) {
	for v, want := range map[string]bool{
		"production":                          false,
		"development":                         false,
		"3000":                                false,
		"20261201":                            false,
		"localhost":                           false,
		"my-app.name":                         false,
		"https://api.example.com/v1":          false,
		"localhost:5432":                      false,
		"aaaaaaaaaaaa1":                       false,
		"sk_live_4eC39HqLyjWDarjtT1zdp7dc":    true,
		"postgres://app:s3cr3t@db.internal/a": true,
		"https://x.example/cb?token=abc123z":  true,
		"correct-horse-battery":               true,
		"hunter2hunter2":                      true,
		"https://hooks.example.com/services/T0123ABCD/B456EFGH/abcdefghijklmnopqrstuvwx": true,
	} {
		if got := LooksSecret(v); got != want {
			t.Errorf("LooksSecret(%q) = %v, want %v", v, got, want)
		}
	}
}
