// Package secretgen makes random secret values for `envsafe set --generate`:
// characters drawn uniformly from a named alphabet with crypto/rand, by
// rejection sampling, so no character is likelier than another.
package secretgen

import (
	"crypto/rand"
	"fmt"
	"io"
	"math"
	"strings"
)

// Length limits: below MinLength a generated secret is guessable in
// practice for the smaller alphabets; MaxLength is generous for any key.
const (
	DefaultLength = 32
	MinLength     = 16
	MaxLength     = 4096
)

// Charsets names the alphabets, in the order help text lists them.
func Charsets() []string { return []string{"alnum", "hex", "base64", "ascii"} }

// Alphabet returns the characters of a charset:
//   - alnum: A-Z a-z 0-9 (62), safe everywhere;
//   - hex: 0-9 a-f (16), for keys read as hex;
//   - base64: the URL- and file-safe base64 alphabet A-Z a-z 0-9 - _ (64);
//   - ascii: every printable ASCII character but space (94).
func Alphabet(charset string) (string, error) {
	const upper, lower, digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "0123456789"
	switch charset {
	case "alnum":
		return upper + lower + digits, nil
	case "hex":
		return digits + "abcdef", nil
	case "base64":
		return upper + lower + digits + "-_", nil
	case "ascii":
		var b strings.Builder
		for c := byte('!'); c <= '~'; c++ {
			b.WriteByte(c)
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("unknown charset %q: use %s", charset, strings.Join(Charsets(), ", "))
}

// Bits is the entropy of a secret of length characters from charset.
func Bits(charset string, length int) int {
	a, err := Alphabet(charset)
	if err != nil {
		return 0
	}
	return int(float64(length) * math.Log2(float64(len(a))))
}

// Generate returns length characters of charset read from crypto/rand.
func Generate(charset string, length int) (string, error) {
	return generate(rand.Reader, charset, length)
}

func generate(r io.Reader, charset string, length int) (string, error) {
	alphabet, err := Alphabet(charset)
	if err != nil {
		return "", err
	}
	if length < MinLength || length > MaxLength {
		return "", fmt.Errorf("length %d is out of range: use %d to %d characters", length, MinLength, MaxLength)
	}
	out := make([]byte, 0, length)
	buf := make([]byte, length+length/2+8)
	for len(out) < length {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("reading random bytes: %w", err)
		}
		out = sample(out, length, alphabet, buf)
	}
	clear(buf)
	return string(out), nil
}

// sample appends to out, up to length characters, one character of alphabet
// per usable random byte. A byte b is used only below the largest multiple
// of the alphabet's size, so b % size is uniform; the others are dropped.
func sample(out []byte, length int, alphabet string, random []byte) []byte {
	n := len(alphabet)
	limit := 256 - 256%n
	for _, b := range random {
		if len(out) == length {
			break
		}
		if int(b) < limit {
			out = append(out, alphabet[int(b)%n])
		}
	}
	return out
}
