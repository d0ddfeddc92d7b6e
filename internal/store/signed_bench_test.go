package store

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/envsafe/envsafe/internal/payload"
)

// BenchmarkSignedRead100 reads a 100-secret environment of a signed
// project as a fresh command would (roster verified, payload signature
// checked), to find what signing adds to `run`.
func BenchmarkSignedRead100(b *testing.B) {
	t := &testing.T{}
	sp := newSignedProject(t)
	states := StateDir(b.TempDir())
	alice := sp.as(t, sp.alice, states)
	sg, err := alice.signed()
	if err != nil {
		b.Fatal(err)
	}
	p := payload.New("production")
	for i := range 100 {
		p.Set(fmt.Sprintf("SECRET_%d", i), fmt.Sprintf("value-%d-%030d", i, i), time.Now())
	}
	file, err := sg.seal("production", p, 0)
	if err != nil {
		b.Fatal(err)
	}
	os.WriteFile(alice.EnvPath("production"), file, 0o644)
	if err := sg.Commit(); err != nil {
		b.Fatal(err)
	}
	b.Run("signed", func(b *testing.B) {
		for b.Loop() {
			s := sp.as(t, sp.alice, states)
			if _, err := s.Read("production", sp.alice.id); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkUnsignedRead100 is the same read in an unsigned project, the
// baseline for BenchmarkSignedRead100.
func BenchmarkUnsignedRead100(b *testing.B) {
	t := &testing.T{}
	s, alice, _ := newProject(t)
	set(t, s, "production", alice.id)
	for i := range 100 {
		set(t, s, "production", alice.id, fmt.Sprintf("SECRET_%d", i), fmt.Sprintf("value-%d-%030d", i, i))
	}
	for b.Loop() {
		if _, err := Open(s.Root()).Read("production", alice.id); err != nil {
			b.Fatal(err)
		}
	}
}
