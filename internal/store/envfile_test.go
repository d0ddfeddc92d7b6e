package store

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/team"
)

func twoPersonTeam(alice, bob person) *team.Team {
	return &team.Team{
		Default: "development",
		Members: []team.Member{{Name: "alice", Recipient: alice.public}, {Name: "bob", Recipient: bob.public}},
		Environments: []team.Environment{
			{Name: "development", Members: []string{"alice", "bob"}},
			{Name: "production", Members: []string{"alice"}},
		},
	}
}

func TestSealThenOpenRoundTripsForEachRecipientOnly(t *testing.T) {
	alice, bob := newPerson(t), newPerson(t)
	tm := twoPersonTeam(alice, bob)
	p := payload.New("production")
	p.Set("API_KEY", "prod-canary", time.Now())
	file, err := SealFile(tm, "production", p, nil)
	if err != nil || file == nil {
		t.Fatalf("SealFile = %d bytes, %v", len(file), err)
	}
	if len(p.Recipients) != 1 || p.Recipients[0] != alice.public {
		t.Fatalf("payload records recipients %v, want only alice", p.Recipients)
	}
	got, plain, err := OpenFile(file, "production", alice.id, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Lookup("API_KEY"); v != "prod-canary" {
		t.Fatalf("API_KEY = %q after a round trip", v)
	}
	if again, err := SealFile(tm, "production", got, plain); err != nil || again != nil {
		t.Fatalf("sealing an unchanged payload = %d bytes, %v; want nothing to write", len(again), err)
	}
	if _, _, err := OpenFile(file, "production", bob.id, nil, nil); !errors.Is(err, ErrNotRecipient) {
		t.Fatalf("bob opening production: %v, want ErrNotRecipient", err)
	}
	if _, _, err := OpenFile(file, "development", alice.id, nil, nil); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("production opened as development: %v, want ErrIntegrity", err)
	}
	if any, _, err := OpenFile(file, AnyEnvironment, alice.id, nil, nil); err != nil || any.Environment != "production" {
		t.Fatalf("OpenFile(AnyEnvironment) = %v, %v", any, err)
	}
}

func TestOpenFileRefusesOversizeBeforeDecrypting(t *testing.T) {
	alice := newPerson(t)
	_, _, err := OpenFile([]byte(strings.Repeat("x", MaxFileSize+1)), "development", alice.id, nil, nil)
	if !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), "larger than the limit") {
		t.Fatalf("OpenFile(oversize) = %v, want an integrity failure naming the limit", err)
	}
}

// A newer envsafe may add fields to the payload: that file is intact, and
// the user must be told to upgrade, not to restore it from git.
func TestNewerPayloadAsksForAnUpgrade(t *testing.T) {
	s, alice, _ := newProject(t)
	rs, _ := crypt.ParseRecipient(alice.public)
	for name, doc := range map[string]string{
		"new field":   `{"envsafe":1,"environment":"development","recipients":[],"secrets":{},"signature":"x"}`,
		"new version": `{"envsafe":3,"environment":"development","recipients":[],"secrets":{}}`,
	} {
		t.Run(name, func(t *testing.T) {
			file, err := crypt.Encrypt([]byte(doc), []crypt.Recipient{rs})
			if err != nil {
				t.Fatal(err)
			}
			if err := writeFile(s.EnvPath("development"), file); err != nil {
				t.Fatal(err)
			}
			_, err = s.Read("development", alice.id)
			if !errors.Is(err, ErrNewerFormat) || errors.Is(err, ErrIntegrity) {
				t.Fatalf("Read() = %v, want ErrNewerFormat and not an integrity failure", err)
			}
			if hs := hint.All(err); len(hs) == 0 || !strings.Contains(hs[0], "upgrade envsafe") {
				t.Fatalf("hints = %q, want one saying to upgrade", hs)
			}
		})
	}
}

func writeFile(path string, data []byte) error { return os.WriteFile(path, data, 0o644) }

// An insider who can read a file can re-encrypt its exact payload to one
// more key: the payload (and its signature) cannot show it, the header can.
func TestHiddenKeysCountsStanzasBeyondTheRecordedRecipients(t *testing.T) {
	s, alice, _ := newProject(t)
	set(t, s, "production", alice.id, "A", "1")
	if n, err := s.HiddenKeys("production", 1); err != nil || n != 0 {
		t.Fatalf("HiddenKeys of an envsafe-written file = %d, %v", n, err)
	}
	p, plain, err := OpenFile(mustRead(t, s.EnvPath("production")), "production", alice.id, nil, nil)
	if err != nil || len(p.Recipients) != 1 {
		t.Fatal(err)
	}
	mallory := newPerson(t)
	ra, _ := crypt.ParseRecipient(alice.public)
	rm, _ := crypt.ParseRecipient(mallory.public)
	rewrapped, err := crypt.Encrypt(plain, []crypt.Recipient{ra, rm})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.EnvPath("production"), rewrapped, 0o644); err != nil {
		t.Fatal(err)
	}
	if n, err := s.HiddenKeys("production", len(p.Recipients)); err != nil || n != 1 {
		t.Fatalf("HiddenKeys of a re-wrapped file = %d, %v; want 1", n, err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
