//go:build unix

package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/envsafe/envsafe/internal/payload"
)

// plantProject makes dir/.envsafe/team.yaml as someone else might.
func plantProject(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, DirName), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, DirName, TeamFile), []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A .envsafe planted in a shared parent folder by another user must not
// capture the secrets of a project below it.
func TestFindRefusesAProjectAnotherUserOwns(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("ENVSAFE_REQUIRE_TOOLS") != "" {
			t.Fatal("needs root to chown a folder to a second user")
		}
		t.Skip("needs root to chown a folder to a second user")
	}
	shared := t.TempDir()
	plantProject(t, shared)
	for _, p := range []string{filepath.Join(shared, DirName), filepath.Join(shared, DirName, TeamFile)} {
		if err := os.Chown(p, 4242, 4242); err != nil {
			t.Fatal(err)
		}
	}
	app := filepath.Join(shared, "myapp")
	if err := os.Mkdir(app, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Find(app)
	if !errors.Is(err, ErrUnsafeProject) {
		t.Fatalf("Find below another user's .envsafe = %v, want ErrUnsafeProject", err)
	}
	// team.yaml alone swapped for another user's is refused too.
	if err := os.Chown(filepath.Join(shared, DirName), 0, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := Find(app); !errors.Is(err, ErrUnsafeProject) {
		t.Fatalf("Find with another user's team.yaml = %v, want ErrUnsafeProject", err)
	}
}

func TestFindRefusesAWorldWritableProject(t *testing.T) {
	dir := t.TempDir()
	plantProject(t, dir)
	if err := os.Chmod(filepath.Join(dir, DirName), 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := Find(dir); !errors.Is(err, ErrUnsafeProject) {
		t.Fatalf("Find of a world-writable .envsafe = %v, want ErrUnsafeProject", err)
	}
	if err := os.Chmod(filepath.Join(dir, DirName), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Find(dir); err != nil {
		t.Fatalf("Find of an ordinary project = %v", err)
	}
}

func TestFindStopsAtTheGitWorkTree(t *testing.T) {
	parent := t.TempDir()
	plantProject(t, parent)
	repo := filepath.Join(parent, "repo")
	if err := os.MkdirAll(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(repo, "src")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Find(sub); !errors.Is(err, ErrNoProject) {
		t.Fatalf("Find from inside a repository found a .envsafe above it: %v", err)
	}
	plantProject(t, repo)
	if s, err := Find(sub); err != nil || s.Root() != repo {
		t.Fatalf("Find = %v, %v; want the repository's own project", s, err)
	}
}

// A FIFO or a link to /dev/stdin in place of an environment file must be
// refused at once, not hang envsafe waiting for a writer.
func TestReadRefusesAFIFOAndADeviceWithoutHanging(t *testing.T) {
	s, alice, _ := newProject(t)
	path := s.EnvPath("development")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := s.Read("development", alice.id); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("Read of a FIFO = %v, want an integrity failure naming it", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read of a FIFO hangs")
	}
	os.Remove(path)
	if err := os.Symlink("/dev/stdin", path); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read("development", alice.id); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("Read of a link to /dev/stdin = %v, want ErrIntegrity", err)
	}
}

// A .lock planted as a symbolic link must not make a writer create or
// touch the file it points to.
func TestLockDoesNotFollowALink(t *testing.T) {
	s, alice, _ := newProject(t)
	target := filepath.Join(t.TempDir(), "victim")
	lock := filepath.Join(s.Dir(), ".lock")
	os.Remove(lock)
	if err := os.Symlink(target, lock); err != nil {
		t.Fatal(err)
	}
	_, err := s.Update(context.Background(), "development", alice.id, func(*payload.Payload) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("Update with a .lock link = %v, want a refusal naming .lock", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the lock created the target of a planted link")
	}
}
