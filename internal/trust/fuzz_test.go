package trust

import (
	"bytes"
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
