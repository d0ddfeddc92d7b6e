package store

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWritersRemoveTempFilesOfKilledWriters: a writer killed between
// creating its temporary file and renaming it leaves .NAME.tmp-* behind;
// the next writer, holding the lock, removes it and nothing else.
func TestWritersRemoveTempFilesOfKilledWriters(t *testing.T) {
	s, alice, _ := newProject(t)
	stale := filepath.Join(s.Dir(), ".development.age.tmp-123456")
	other := filepath.Join(s.Dir(), "notes.txt")
	for _, f := range []string{stale, other} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Read("development", alice.id); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err != nil {
		t.Fatal("a reader, which takes no lock, removed a temporary file")
	}
	set(t, s, "development", alice.id, "A", "1")
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("the stale temporary file is still there (%v)", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Fatalf("a file that is not envsafe's temporary file was removed: %v", err)
	}
}
