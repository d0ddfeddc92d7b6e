package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/payload"
)

func setPersonal(t *testing.T, s *Store, env string, id *crypt.Identity, name, value string) {
	t.Helper()
	_, err := s.UpdatePersonal(context.Background(), env, id, func(p *payload.Payload) error {
		p.Set(name, value, time.Now())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPersonalOverridesAreEachOwnersAlone(t *testing.T) {
	s, alice, bob := newProject(t)
	s.PersonalDir = t.TempDir()
	setPersonal(t, s, "development", alice.id, "API_URL", "http://alice.local")
	setPersonal(t, s, "development", bob.id, "API_URL", "http://bob.local")

	for _, c := range []struct {
		who  person
		want string
	}{{alice, "http://alice.local"}, {bob, "http://bob.local"}} {
		p, err := s.ReadPersonal("development", c.who.id)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Secrets["API_URL"].Value; got != c.want {
			t.Errorf("API_URL = %q, want %q", got, c.want)
		}
	}
	path, _ := s.PersonalPath("development", alice.id)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("personal file %v mode %v, want 0600", err, fi)
	}
	if n := countStanzas(t, path); n != 1 {
		t.Errorf("encrypted to %d keys, want 1", n)
	}
	// Nothing lands in the project folder.
	if m, _ := filepath.Glob(filepath.Join(s.Dir(), "*personal*")); len(m) > 0 {
		t.Errorf("personal files in the project: %v", m)
	}
	// Production has none.
	if p, err := s.ReadPersonal("production", alice.id); err != nil || len(p.Secrets) != 0 {
		t.Errorf("production overrides = %v, %v", p, err)
	}
}

func countStanzas(t *testing.T, path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := crypt.StanzaCount(data)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A file planted in the owner's place is refused, never applied: one
// encrypted to the owner's key by someone else (unsigned), another
// project's file copied over, one readable by others.
func TestPersonalRefusesPlantedFiles(t *testing.T) {
	s, alice, bob := newProject(t)
	s.PersonalDir = t.TempDir()
	setPersonal(t, s, "development", alice.id, "API_URL", "http://alice.local")
	path, _ := s.PersonalPath("development", alice.id)
	good, _ := os.ReadFile(path)

	plant := func(data []byte, mode os.FileMode) error {
		t.Helper()
		if err := os.WriteFile(path, data, mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(path, mode)
		_, err := s.ReadPersonal("development", alice.id)
		return err
	}

	// bob writes a file encrypted to alice with his own signature.
	other, _, _ := newProject(t)
	other.PersonalDir = t.TempDir()
	setPersonal(t, other, "development", bob.id, "API_URL", "http://evil")
	bobPath, _ := other.PersonalPath("development", bob.id)
	bobFile, _ := os.ReadFile(bobPath)
	if err := plant(bobFile, 0o600); !errors.Is(err, ErrIntegrity) {
		t.Errorf("bob's file in alice's place: %v, want ErrIntegrity", err)
	}
	// An unsigned file encrypted to alice.
	r, _ := crypt.ParseRecipient(alice.public)
	forged, _ := crypt.Encrypt([]byte(`{"envsafe_personal":1,"project":"x","owner":"`+alice.public+`","payload":{}}`), []crypt.Recipient{r})
	if err := plant(forged, 0o600); !errors.Is(err, ErrIntegrity) {
		t.Errorf("unsigned file: %v, want ErrIntegrity", err)
	}
	// alice's own file of another project.
	other2, _, _ := newProject(t)
	other2.PersonalDir = s.PersonalDir
	setPersonal(t, other2, "development", alice.id, "API_URL", "http://other-project")
	p2, _ := other2.PersonalPath("development", alice.id)
	f2, _ := os.ReadFile(p2)
	if err := plant(f2, 0o600); !errors.Is(err, ErrIntegrity) {
		t.Errorf("another project's file: %v, want ErrIntegrity", err)
	}
	// The good file with a mode that lets others change it.
	if err := plant(good, 0o666); !errors.Is(err, ErrIntegrity) {
		t.Errorf("mode 0666: %v, want ErrIntegrity", err)
	}
	if err := plant(good, 0o600); err != nil {
		t.Errorf("the good file back: %v", err)
	}
}
