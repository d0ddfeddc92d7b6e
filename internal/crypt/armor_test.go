package crypt

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"filippo.io/age/armor"
)

// ageDearmor is the reference: age's own armor reader.
func ageDearmor(data []byte) ([]byte, error) {
	return io.ReadAll(armor.NewReader(bytes.NewReader(data)))
}

func armoredSample(t testing.TB, size int) []byte {
	var buf bytes.Buffer
	w := armor.NewWriter(&buf)
	w.Write(bytes.Repeat([]byte("envsafe "), size/8+1)[:size])
	w.Close()
	return buf.Bytes()
}

func TestDearmorMatchesAge(t *testing.T) {
	good := armoredSample(t, 1000)
	exact := armoredSample(t, 48*5) // data ends on a full line
	lines := strings.Split(string(good), "\n")
	cases := map[string]string{
		"good":               string(good),
		"exact multiple":     string(exact),
		"crlf":               strings.ReplaceAll(string(good), "\n", "\r\n"),
		"leading blank":      "\n  \n" + string(good),
		"too much leading":   strings.Repeat(" \n", 600) + string(good),
		"trailing blank":     string(good) + "\n\n   ",
		"trailing garbage":   string(good) + "x",
		"too much trailing":  string(good) + strings.Repeat(" ", 1100),
		"no footer":          strings.Join(lines[:len(lines)-2], "\n"),
		"short middle line":  strings.Replace(string(good), lines[2], lines[2][:60], 1),
		"long line":          strings.Replace(string(good), lines[2], lines[2]+"AAAA", 1),
		"empty line":         strings.Replace(string(good), lines[2], "", 1),
		"bad char":           strings.Replace(string(good), lines[2], "*"+lines[2][1:], 1),
		"cr in line":         strings.Replace(string(good), lines[2], lines[2][:10]+"\r"+lines[2][11:], 1),
		"header only":        "-----BEGIN AGE ENCRYPTED FILE-----\n",
		"empty body":         "-----BEGIN AGE ENCRYPTED FILE-----\n-----END AGE ENCRYPTED FILE-----\n",
		"lowercase header":   strings.ToLower(string(good)),
		"nothing":            "",
		"non-canonical bits": strings.Replace(string(good), lines[len(lines)-3], lines[len(lines)-3][:len(lines[len(lines)-3])-3]+"B==", 1),
	}
	for name, in := range cases {
		want, werr := ageDearmor([]byte(in))
		got, gerr := dearmor([]byte(in))
		if (werr == nil) != (gerr == nil) {
			t.Errorf("%s: age err %v, envsafe err %v", name, werr, gerr)
			continue
		}
		if werr == nil && !bytes.Equal(got, want) {
			t.Errorf("%s: decoded bytes differ", name)
		}
	}
}

func FuzzDearmor(f *testing.F) {
	f.Add(armoredSample(f, 1000))
	f.Add(armoredSample(f, 48))
	f.Add([]byte("-----BEGIN AGE ENCRYPTED FILE-----\r\nYWJj\r\n-----END AGE ENCRYPTED FILE-----\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		want, werr := ageDearmor(data)
		got, gerr := dearmor(data)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("age err %v, envsafe err %v", werr, gerr)
		}
		if werr == nil && !bytes.Equal(got, want) {
			t.Fatal("decoded bytes differ")
		}
	})
}

// TestEnarmorMatchesAge holds armorTo to age's armor writer, byte for
// byte, at every length around the line and base64 boundaries.
func TestEnarmorMatchesAge(t *testing.T) {
	data := make([]byte, 48*4+7)
	for i := range data {
		data[i] = byte(i*131 + 7)
	}
	for n := 0; n <= len(data); n++ {
		var want bytes.Buffer
		w := armor.NewWriter(&want)
		w.Write(data[:n])
		w.Close()
		got := armorTo([]byte("prefix"), data[:n])
		if string(got) != "prefix"+want.String() {
			t.Fatalf("%d bytes: got\n%q\nwant\n%q", n, got, want.String())
		}
		back, err := dearmor(got[len("prefix"):])
		if err != nil || !bytes.Equal(back, data[:n]) {
			t.Fatalf("%d bytes: dearmor(armorTo) = %v, %v", n, back, err)
		}
	}
}
