package trust

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse feeds the team.sig parser arbitrary bytes: it must never panic,
// and anything it accepts must re-encode to the same lines, since
// signatures and hashes are over the stored bytes. (No signature checks
// here, so that the fuzzer runs fast; FuzzVerify covers them.)
func FuzzParse(f *testing.F) {
	for _, seed := range teamSigSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		enc, err := Encode(file)
		if err != nil {
			t.Fatalf("accepted but cannot encode: %v", err)
		}
		norm := bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
		if !bytes.HasSuffix(norm, []byte("\n")) {
			norm = append(norm, '\n')
		}
		if !bytes.Equal(enc, norm) {
			t.Fatalf("accepted %q but re-encodes as %q", data, enc)
		}
	})
}

// FuzzVerify runs the whole verification on arbitrary bytes under the
// golden file's pin: never a panic, and never a success for another project.
func FuzzVerify(f *testing.F) {
	seeds := teamSigSeeds(f)
	for _, seed := range seeds {
		f.Add(seed)
	}
	gf, err := Parse(seeds[0])
	if err != nil {
		f.Fatal(err)
	}
	pin := Pin{Project: gf.Log[0].Hash(), Checkpoint: Checkpoint{Index: 0, Hash: gf.Log[0].Hash()}, MinRoster: 1}
	f.Fuzz(func(t *testing.T, data []byte) {
		if v, err := Verify(data, pin, State{}); err == nil && v.Project != pin.Project {
			t.Fatalf("verified another project")
		}
	})
}

// teamSigSeeds are small files: the fuzzer's minimizer is quadratic in the
// input size, and the golden file (3.5 KB) would spend a 10-second run
// minimizing its first discovery. seeds[0] is a valid file.
func teamSigSeeds(f *testing.F) [][]byte {
	g, err := NewGenesis("a", testKey("a"), epoch(0))
	if err != nil {
		f.Fatal(err)
	}
	log := []LogLine{g}
	team := Team{
		Members:      []Member{{Name: "a", Recipient: "age1a", Sign: PublicKeyText(testKey("a"))}, {Name: "c", Recipient: "age1c", ReadOnly: true}},
		Environments: []Environment{{Name: "e", Members: []string{"a", "c"}}},
	}
	r, err := SignRoster(log, Roster{Version: 1, Team: team, Floors: map[string]uint64{"e": 1}}, epoch(1), testKey("a"))
	if err != nil {
		f.Fatal(err)
	}
	valid, err := Encode(&File{Log: log, Roster: r})
	if err != nil {
		f.Fatal(err)
	}
	return [][]byte{
		valid,
		bytes.ReplaceAll(valid, []byte("\n"), []byte("\r\n")),
		[]byte(`{"log":{},"sigs":[]}` + "\n" + `{"roster":{},"sigs":[]}`),
		[]byte(`{"log":null,"roster":null,"sigs":null}`),
	}
}

// FuzzParsePin: never panics; an accepted pin has exactly one spelling.
func FuzzParsePin(f *testing.F) {
	id := "f407c387635eb670ee92a7dadd87e53edc8928a62bad0dd5296d081712aa8ea6"
	f.Add("envsafe-trust:1:" + id + ":0:" + id + ":1")
	f.Add("envsafe-trust:1:" + id + ":2:70d9be90791227c1b509a571858de630288771913d1265b3d7445517c23c736d:3")
	f.Add("envsafe-trust:1::::")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePin(s)
		if err != nil {
			return
		}
		again, err := ParsePin(p.String())
		if err != nil || again != p {
			t.Fatalf("ParsePin(%q) = %+v, but its String %q reads back as %+v, %v", s, p, p.String(), again, err)
		}
		if p.String() != strings.TrimSpace(s) {
			t.Fatalf("ParsePin accepted %q, a second spelling of %q", s, p.String())
		}
	})
}

// FuzzDecodeState: never panics; an accepted state encodes and decodes to
// itself.
func FuzzDecodeState(f *testing.F) {
	f.Add([]byte(`{"checkpoint":{"index":2,"hash":"70d9be90791227c1b509a571858de630288771913d1265b3d7445517c23c736d"},"roster_version":3,"envs":{"production":{"seq":43}}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeState(data)
		if err != nil {
			return
		}
		enc, err := s.Encode()
		if err != nil {
			t.Fatalf("accepted but cannot encode: %v", err)
		}
		back, err := DecodeState(enc)
		if err != nil || !stateEqual(back, s) {
			t.Fatalf("round trip: %+v -> %s -> %+v, %v", s, enc, back, err)
		}
	})
}

// strictLine reads one team.sig line the way Parse does without the fast
// reader: encoding/json, unknown fields refused, the line and its body in
// the form Encode writes.
func strictLine(line []byte) (*LogLine, *RosterLine, bool) {
	var raw rawLine
	if decodeStrict(line, &raw) != nil {
		return nil, nil, false
	}
	switch {
	case raw.Log != nil && raw.Roster == nil:
		if !bytes.Equal(line, encodeLine("log", raw.Log, raw.Sigs)) {
			return nil, nil, false
		}
		l := &LogLine{Body: raw.Log, Sigs: raw.Sigs}
		return l, nil, decodeBody(raw.Log, &l.Entry) == nil
	case raw.Roster != nil && raw.Log == nil:
		if !bytes.Equal(line, encodeLine("roster", raw.Roster, raw.Sigs)) {
			return nil, nil, false
		}
		r := &RosterLine{Body: raw.Roster, Sigs: raw.Sigs}
		return nil, r, decodeBody(raw.Roster, &r.Roster) == nil
	}
	return nil, nil, false
}

// FuzzCanonMatchesStrict: whatever the fast canonical reader accepts, the
// strict encoding/json path accepts too, with the same content, for
// team.sig lines and state files alike.
func FuzzCanonMatchesStrict(f *testing.F) {
	for _, seed := range teamSigSeeds(f) {
		for _, line := range bytes.Split(bytes.TrimSuffix(seed, []byte("\n")), []byte("\n")) {
			f.Add(line)
		}
	}
	f.Add([]byte(`{"checkpoint":{"index":2,"hash":"70d9be90791227c1b509a571858de630288771913d1265b3d7445517c23c736d"},"roster_version":3,"envs":{"production":{"seq":43}}}` + "\n"))
	f.Add([]byte(`{"checkpoint":{"index":0,"hash":""},"roster_version":0,"envs":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if log, roster, ok := canonLine(data); ok {
			slog, sroster, sok := strictLine(data)
			if !sok {
				t.Fatalf("fast reader accepts a line the strict path refuses: %q", data)
			}
			if !reflect.DeepEqual(log, slog) || !reflect.DeepEqual(roster, sroster) {
				t.Fatalf("readers disagree on %q:\n fast %+v %+v\n strict %+v %+v", data, log, roster, slog, sroster)
			}
		}
		if s, ok := canonState(data); ok {
			var strict State
			if err := decodeStrict(data, &strict); err != nil {
				t.Fatalf("fast reader accepts a state the strict path refuses (%v): %q", err, data)
			}
			if !reflect.DeepEqual(s, strict) {
				t.Fatalf("readers disagree on %q:\n fast %+v\n strict %+v", data, s, strict)
			}
		}
	})
}

// The fast reader takes every line Encode writes (else a signed run pays
// for encoding/json after all).
func TestCanonReadsWhatEncodeWrites(t *testing.T) {
	data := newHistory(t).current.bytes()
	for i, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		if _, _, ok := canonLine(line); !ok {
			t.Errorf("line %d not read by the fast reader: %s", i+1, line)
		}
	}
	st := State{Checkpoint: Checkpoint{Index: 2, Hash: strings.Repeat("ab", 32)}, RosterVersion: 3, Envs: map[string]EnvState{"production": {Seq: 43}}}
	enc, err := st.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := canonState(enc); !ok || !reflect.DeepEqual(got, st) {
		t.Fatalf("state %s: fast reader %v %+v", enc, ok, got)
	}
}
