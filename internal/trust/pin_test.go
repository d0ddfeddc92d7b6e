package trust

import (
	"errors"
	"strings"
	"testing"
)

func TestPinRoundTrip(t *testing.T) {
	p := newHistory(t).current
	for _, pin := range []Pin{
		p.pin(),
		{Project: p.id(), Checkpoint: p.checkpoint(2), MinRoster: 3},
		{Project: p.id(), Checkpoint: p.checkpoint(0), MinRoster: 0},
	} {
		s := pin.String()
		got, err := ParsePin("  " + s + "\n")
		if err != nil || got != pin {
			t.Errorf("ParsePin(%q) = %+v, %v", s, got, err)
		}
	}
	want := "envsafe-trust:1:" + p.id() + ":2:" + p.log[2].Hash() + ":3"
	if s := (Pin{Project: p.id(), Checkpoint: p.checkpoint(2), MinRoster: 3}).String(); s != want {
		t.Errorf("String = %q, want %q", s, want)
	}
}

func TestParsePinRefuses(t *testing.T) {
	p := newHistory(t).current
	id, h2 := p.id(), p.log[2].Hash()
	for name, s := range map[string]string{
		"empty":                      "",
		"other prefix":               "envsafe-trust:2:" + id + ":2:" + h2 + ":3",
		"no prefix":                  id + ":2:" + h2 + ":3",
		"too few parts":              "envsafe-trust:1:" + id + ":2:" + h2,
		"too many parts":             "envsafe-trust:1:" + id + ":2:" + h2 + ":3:4",
		"short project":              "envsafe-trust:1:" + id[:63] + ":2:" + h2 + ":3",
		"upper-case project":         "envsafe-trust:1:" + strings.ToUpper(id) + ":2:" + h2 + ":3",
		"bad hash":                   "envsafe-trust:1:" + id + ":2:" + h2[:62] + "zz:3",
		"negative index":             "envsafe-trust:1:" + id + ":-1:" + h2 + ":3",
		"leading zero":               "envsafe-trust:1:" + id + ":02:" + h2 + ":3",
		"plus sign":                  "envsafe-trust:1:" + id + ":+2:" + h2 + ":3",
		"index past the log limit":   "envsafe-trust:1:" + id + ":1000:" + h2 + ":3",
		"huge version":               "envsafe-trust:1:" + id + ":2:" + h2 + ":18446744073709551616",
		"empty version":              "envsafe-trust:1:" + id + ":2:" + h2 + ":",
		"entry 0 is not the project": "envsafe-trust:1:" + id + ":0:" + h2 + ":3",
		"inner space":                "envsafe-trust:1:" + id + ":2: " + h2 + ":3",
		"very long":                  "envsafe-trust:1:" + strings.Repeat("a", 300),
	} {
		if pin, err := ParsePin(s); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: ParsePin(%q) = %+v, %v", name, s, pin, err)
		}
	}
	// A pin built by a caller from its own state is checked by Verify too.
	if _, err := Verify(p.bytes(), Pin{Project: "x"}, State{}); !errors.Is(err, ErrMalformed) {
		t.Errorf("Verify with a malformed pin: %v", err)
	}
}
