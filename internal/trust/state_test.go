package trust

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

func TestMergeOnlyRaises(t *testing.T) {
	p := newHistory(t).current
	c1, c2 := p.checkpoint(1), p.checkpoint(2)
	for _, tc := range []struct {
		name    string
		a, b    State
		want    State
		wantErr error
	}{
		{"empty", State{}, State{}, State{}, nil},
		{"from nothing", State{}, State{Checkpoint: c1, RosterVersion: 2}, State{Checkpoint: c1, RosterVersion: 2}, nil},
		{"later checkpoint wins either side", State{Checkpoint: c2, RosterVersion: 1}, State{Checkpoint: c1, RosterVersion: 3}, State{Checkpoint: c2, RosterVersion: 3}, nil},
		{"later checkpoint wins other side", State{Checkpoint: c1}, State{Checkpoint: c2}, State{Checkpoint: c2}, nil},
		{"same checkpoint", State{Checkpoint: c2}, State{Checkpoint: c2}, State{Checkpoint: c2}, nil},
		{"zero checkpoint never lowers", State{Checkpoint: c2}, State{}, State{Checkpoint: c2}, nil},
		{"fork at one index", State{Checkpoint: c2}, State{Checkpoint: Checkpoint{Index: 2, Hash: p.id()}}, State{}, ErrForked},
		{
			"env seqs take the max",
			State{Envs: map[string]EnvState{"production": {Seq: 50}, "staging": {Seq: 3}}},
			State{Envs: map[string]EnvState{"production": {Seq: 40}, "staging": {Seq: 9}, "qa": {Seq: 1}}},
			State{Envs: map[string]EnvState{"production": {Seq: 50}, "staging": {Seq: 9}, "qa": {Seq: 1}}},
			nil,
		},
	} {
		got, err := Merge(tc.a, tc.b)
		if !errors.Is(err, tc.wantErr) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.wantErr)
			continue
		}
		if err == nil && !stateEqual(got, tc.want) {
			t.Errorf("%s: Merge = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestMergeProperty checks on random states that a merge is at least each
// input everywhere and does not depend on order.
func TestMergeProperty(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	p := newHistory(t).current
	random := func() State {
		s := State{RosterVersion: rng.Uint64N(5)}
		if i := rng.IntN(4); i < 3 {
			s.Checkpoint = p.checkpoint(i)
		}
		for _, env := range []string{"production", "staging", "qa"} {
			if rng.IntN(2) == 0 {
				if s.Envs == nil {
					s.Envs = map[string]EnvState{}
				}
				s.Envs[env] = EnvState{Seq: rng.Uint64N(100)}
			}
		}
		return s
	}
	for range 1000 {
		a, b := random(), random()
		ab, err1 := Merge(a, b)
		ba, err2 := Merge(b, a)
		if err1 != nil || err2 != nil {
			t.Fatalf("Merge(%+v, %+v): %v, %v", a, b, err1, err2)
		}
		if !stateEqual(ab, ba) {
			t.Fatalf("Merge is not symmetric: %+v vs %+v", ab, ba)
		}
		for _, in := range []State{a, b} {
			if ab.RosterVersion < in.RosterVersion || (!in.Checkpoint.IsZero() && ab.Checkpoint.Index < in.Checkpoint.Index) {
				t.Fatalf("Merge(%+v, %+v) = %+v lowers", a, b, ab)
			}
			for env, e := range in.Envs {
				if ab.Envs[env].Seq < e.Seq {
					t.Fatalf("Merge lowered %s: %+v", env, ab)
				}
			}
		}
	}
}

func stateEqual(a, b State) bool {
	if a.Checkpoint != b.Checkpoint || a.RosterVersion != b.RosterVersion || len(a.Envs) != len(b.Envs) {
		return false
	}
	for env, e := range a.Envs {
		if f, ok := b.Envs[env]; !ok || f != e {
			return false
		}
	}
	return true
}

func TestRaise(t *testing.T) {
	s := State{Envs: map[string]EnvState{"production": {Seq: 50}}}
	if got := s.Raise("production", 40); got.Envs["production"].Seq != 50 {
		t.Errorf("Raise lowered: %+v", got)
	}
	got := s.Raise("production", 51).Raise("staging", 2)
	if got.Envs["production"].Seq != 51 || got.Envs["staging"].Seq != 2 {
		t.Errorf("Raise = %+v", got)
	}
	if s.Envs["production"].Seq != 50 || len(s.Envs) != 1 {
		t.Errorf("Raise changed its receiver: %+v", s)
	}
}

func TestStateEncoding(t *testing.T) {
	p := newHistory(t).current
	s := State{Checkpoint: p.checkpoint(2), RosterVersion: 3, Envs: map[string]EnvState{"staging": {Seq: 4}, "production": {Seq: 43}}}
	data, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"checkpoint":{"index":2,"hash":"` + p.log[2].Hash() + `"},"roster_version":3,"envs":{"production":{"seq":43},"staging":{"seq":4}}}` + "\n"
	if string(data) != want {
		t.Fatalf("Encode = %s\nwant %s", data, want)
	}
	back, err := DecodeState(data)
	if err != nil || !stateEqual(back, s) {
		t.Fatalf("DecodeState = %+v, %v", back, err)
	}
	if empty, err := DecodeState(nil); err != nil || !stateEqual(empty, State{}) {
		t.Errorf("empty file: %+v, %v", empty, err)
	}
	for name, bad := range map[string]string{
		"unknown field":     `{"checkpoint":{"index":0,"hash":""},"roster_version":1,"envs":{},"pin":"x"}`,
		"bad hash":          `{"checkpoint":{"index":1,"hash":"xyz"},"roster_version":1,"envs":{}}`,
		"negative index":    `{"checkpoint":{"index":-1,"hash":"` + p.id() + `"},"roster_version":1,"envs":{}}`,
		"negative seq":      `{"envs":{"production":{"seq":-1}}}`,
		"environment path":  `{"envs":{"../x":{"seq":1}}}`,
		"two objects":       `{}{}`,
		"not JSON":          `state`,
		"very large":        `{"envs":{` + string(bytes.Repeat([]byte(" "), maxStateSize)) + `}}`,
		"seq too large":     `{"envs":{"production":{"seq":18446744073709551616}}}`,
		"roster ver string": `{"roster_version":"3"}`,
	} {
		if s, err := DecodeState([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: DecodeState = %+v, %v", name, s, err)
		}
	}
}

func TestUpdateState(t *testing.T) {
	p := newHistory(t).current
	var stored []byte
	writes := 0
	read := func() ([]byte, error) { return stored, nil }
	write := func(b []byte) error { writes++; stored = bytes.Clone(b); return nil }

	// Another process raised production to 60 meanwhile; this one read 43.
	stored, _ = State{Envs: map[string]EnvState{"production": {Seq: 60}}}.Encode()
	got, err := UpdateState(read, write, State{Checkpoint: p.checkpoint(2), RosterVersion: 3}.Raise("production", 43))
	if err != nil {
		t.Fatal(err)
	}
	if got.Envs["production"].Seq != 60 || got.RosterVersion != 3 || writes != 1 {
		t.Fatalf("UpdateState = %+v after %d writes", got, writes)
	}
	disk, _ := DecodeState(stored)
	if !stateEqual(disk, got) {
		t.Fatalf("stored %+v, returned %+v", disk, got)
	}
	// Nothing rose: the file is not rewritten.
	if _, err := UpdateState(read, write, State{RosterVersion: 1}); err != nil || writes != 1 {
		t.Errorf("no-op update: %v, %d writes", err, writes)
	}
	// A forked checkpoint is refused and nothing is written.
	if _, err := UpdateState(read, write, State{Checkpoint: Checkpoint{Index: 2, Hash: p.id()}}); !errors.Is(err, ErrForked) || writes != 1 {
		t.Errorf("forked update: %v, %d writes", err, writes)
	}
	errDisk := errors.New("disk full")
	if _, err := UpdateState(read, func([]byte) error { return errDisk }, State{RosterVersion: 9}); !errors.Is(err, errDisk) {
		t.Errorf("write error: %v", err)
	}
	if _, err := UpdateState(func() ([]byte, error) { return nil, errDisk }, write, State{}); !errors.Is(err, errDisk) {
		t.Errorf("read error: %v", err)
	}
	stored = []byte("garbage")
	if _, err := UpdateState(read, write, State{}); !errors.Is(err, ErrMalformed) {
		t.Errorf("corrupt state: %v", err)
	}
}
