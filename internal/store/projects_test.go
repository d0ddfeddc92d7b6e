package store

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestProjectsFindsEveryProjectOfTheRepository(t *testing.T) {
	top := t.TempDir()
	for _, dir := range []string{
		".git", "apps/api/.envsafe", "apps/web/.envsafe", "apps/web/src",
		"node_modules/pkg/.envsafe",  // a package's own, not ours
		"vendored/sub/.git",          // a nested repository
		"vendored/sub/.envsafe",      // ... and its project
		".cache/x/.envsafe",          // hidden folders are skipped
		"apps/api/.envsafe/personal", // never descended into
	} {
		if err := os.MkdirAll(filepath.Join(top, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Projects(top)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(top, "apps/api"), filepath.Join(top, "apps/web")}
	if !slices.Equal(got, want) {
		t.Errorf("Projects = %v, want %v", got, want)
	}
	if got := RepoTop(filepath.Join(top, "apps/web/src")); got != top {
		t.Errorf("RepoTop = %q, want %q", got, top)
	}
	all, err := FindAll(filepath.Join(top, "apps/web/src"))
	if err != nil || len(all) != 2 || all[0].Root() != want[0] {
		t.Errorf("FindAll = %v, %v", all, err)
	}
	// A project at the top is listed too.
	os.Mkdir(filepath.Join(top, ".envsafe"), 0o755)
	if got, _ := Projects(top); len(got) != 3 || got[0] != top {
		t.Errorf("with a top-level project: %v", got)
	}
}
