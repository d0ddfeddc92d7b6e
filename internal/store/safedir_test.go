//go:build unix

package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
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
