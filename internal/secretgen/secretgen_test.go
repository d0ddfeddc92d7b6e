package secretgen

import (
	"bytes"
	"strings"
	"testing"
)

func TestGenerateUsesOnlyTheAlphabetAndTheLength(t *testing.T) {
	for _, cs := range Charsets() {
		alphabet, _ := Alphabet(cs)
		for _, n := range []int{MinLength, DefaultLength, 100, MaxLength} {
			v, err := Generate(cs, n)
			if err != nil {
				t.Fatal(err)
			}
			if len(v) != n {
				t.Fatalf("%s: length %d, want %d", cs, len(v), n)
			}
			for _, c := range v {
				if !strings.ContainsRune(alphabet, c) {
					t.Fatalf("%s: %q is not in the alphabet", cs, c)
				}
			}
		}
	}
	if a, _ := Alphabet("ascii"); len(a) != 94 || strings.ContainsAny(a, " \t\n") {
		t.Fatalf("ascii alphabet %q", a)
	}
}

func TestGenerateRefusesBadArguments(t *testing.T) {
	for _, c := range []struct {
		cs string
		n  int
	}{{"alnum", MinLength - 1}, {"alnum", MaxLength + 1}, {"alnum", 0}, {"emoji", 32}} {
		if _, err := Generate(c.cs, c.n); err == nil {
			t.Errorf("Generate(%q, %d): want an error", c.cs, c.n)
		}
	}
}

// TestRejectionSamplingIsUnbiased feeds every byte value once: each
// character must come out exactly as often as every other. With plain
// modulo the first 256%62 = 8 characters of alnum would come out 5 times
// instead of 4, and this would fail.
func TestRejectionSamplingIsUnbiased(t *testing.T) {
	every := make([]byte, 256)
	for b := range every {
		every[b] = byte(b)
	}
	for _, cs := range Charsets() {
		alphabet, _ := Alphabet(cs)
		out := sample(nil, 1000, alphabet, every)
		counts := map[byte]int{}
		for _, c := range out {
			counts[c]++
		}
		for i := 0; i < len(alphabet); i++ {
			if counts[alphabet[i]] != 256/len(alphabet) {
				t.Fatalf("%s: %q came out %d times, want %d", cs, alphabet[i], counts[alphabet[i]], 256/len(alphabet))
			}
		}
	}
}

func TestGenerateFailsWhenRandomnessFails(t *testing.T) {
	if _, err := generate(bytes.NewReader(nil), "alnum", 32); err == nil {
		t.Fatal("want an error from an empty random source")
	}
}

func TestBits(t *testing.T) {
	if b := Bits("alnum", 32); b != 190 {
		t.Fatalf("alnum 32: %d bits", b)
	}
	if b := Bits("hex", 32); b != 128 {
		t.Fatalf("hex 32: %d bits", b)
	}
}
