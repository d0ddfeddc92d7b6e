package team

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	good := map[string]time.Duration{"90d": 90 * Day, "12w": 12 * Week, "36h": 36 * time.Hour, "1d": Day, "36500d": 36500 * Day}
	for in, want := range good {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "90", "90D", "90 d", "-1d", "+1d", "0d", "1.5d", "1y", "90days", "36501d", "99999999999999999999d", "1h30m"} {
		if d, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, d)
		}
	}
}

func TestFormatDurationReadsBack(t *testing.T) {
	for _, d := range []time.Duration{Day, 90 * Day, 12 * Week, 36 * time.Hour, time.Hour} {
		back, err := ParseDuration(FormatDuration(d))
		if err != nil || back != d {
			t.Errorf("%v -> %q -> %v, %v", d, FormatDuration(d), back, err)
		}
	}
}

func TestMaxAgeIsOptionalAndRoundTrips(t *testing.T) {
	alice := key(t, false)
	base := fmt.Sprintf("version: 1\nmembers:\n  alice: %s\nenvironments:\n  development: [alice]\n  production: [alice]\n", alice)
	// A version 1 file without max_age reads as before.
	old, err := Parse([]byte(base))
	if err != nil || old.MaxAge != nil || old.MaxAgeOf("production") != 0 {
		t.Fatalf("file without max_age: %+v, %v", old, err)
	}
	tm, err := Parse([]byte(base + "max_age:\n  production: 12w\n"))
	if err != nil {
		t.Fatal(err)
	}
	if tm.MaxAgeOf("production") != 84*Day || tm.MaxAgeOf("development") != 0 {
		t.Fatalf("max_age %v", tm.MaxAge)
	}
	data, err := tm.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "max_age:\n  production: 84d\n") {
		t.Fatalf("max_age not written back:\n%s", data)
	}
	// A member or environment change (Marshal after Clone) keeps it, also
	// for an environment the project does not have (env rm deletes the
	// entry itself): what a user wrote is not dropped by an unrelated write.
	c := tm.Clone()
	c.Environments = c.Environments[:1]
	data, err = c.Marshal()
	if err != nil || !strings.Contains(string(data), "max_age:\n  production: 84d\n") {
		t.Fatalf("after removing production: %v\n%s", err, data)
	}
	if got := c.UnlistedMaxAge(); len(got) != 1 || got[0] != "production" {
		t.Fatalf("UnlistedMaxAge = %v", got)
	}
	if got := tm.UnlistedMaxAge(); len(got) != 0 {
		t.Fatalf("UnlistedMaxAge = %v", got)
	}
	if tm.MaxAgeOf("production") == 0 {
		t.Fatal("Clone shares the max_age map")
	}
}

// The README's max_age example names staging: a project without one still
// works, and keeps the entry.
func TestMaxAgeMayNameAnEnvironmentNotThereYet(t *testing.T) {
	alice := key(t, false)
	doc := fmt.Sprintf("version: 1\nmembers:\n  alice: %s\nenvironments:\n  production: [alice]\nmax_age:\n  production: 90d\n  staging: 180d\n", alice)
	tm, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := tm.UnlistedMaxAge(); len(got) != 1 || got[0] != "staging" {
		t.Fatalf("UnlistedMaxAge = %v", got)
	}
	data, err := tm.Marshal()
	if err != nil || !strings.Contains(string(data), "max_age:\n  production: 90d\n  staging: 180d\n") {
		t.Fatalf("%v\n%s", err, data)
	}
}

func TestMaxAgeErrorsNameTheLine(t *testing.T) {
	alice := key(t, false)
	base := fmt.Sprintf("version: 1\nmembers:\n  alice: %s\nenvironments:\n  production: [alice]\n", alice)
	cases := map[string]string{
		"max_age:\n  production: 90\n":                   `line 7: max_age of "production"`,
		"max_age:\n  production: [90d]\n":                `line 7: max_age of "production" must be a duration`,
		"max_age: 90d\n":                                 `line 6: max_age must map`,
		"max_age:\n  production: 1d\n  production: 2d\n": `max_age lists "production" twice`,
	}
	for doc, want := range cases {
		_, err := Parse([]byte(base + doc))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", doc, err, want)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"90d", "12w", "36h", "0d", "", "9999999999999999999w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d <= 0 || d > maxDuration {
			t.Fatalf("ParseDuration(%q) = %v out of range", s, d)
		}
		if back, err := ParseDuration(FormatDuration(d)); err != nil || back != d {
			t.Fatalf("%q -> %v does not read back: %v %v", s, d, back, err)
		}
	})
}
