package envsafe_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envsafe/envsafe/pkg/envsafe"
)

// TestMain points every test and example at testdata/example, a project
// whose only member is the test key in testdata/example-identity.txt. A real
// program sets nothing: its identity comes from the keychain, or from
// ENVSAFE_IDENTITY in CI.
func TestMain(m *testing.M) {
	os.Setenv("ENVSAFE_IDENTITY_FILE", "testdata/example-identity.txt")
	os.Unsetenv("ENVSAFE_IDENTITY")
	os.Unsetenv("ENVSAFE_ENV")
	os.Exit(m.Run())
}

// copyExample copies testdata/example into a fresh folder the test may damage.
func copyExample(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/example")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestOpenFindsTheProjectFromASubfolder(t *testing.T) {
	dir := copyExample(t)
	sub := filepath.Join(dir, "src", "deep")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := envsafe.Open(sub)
	if err != nil {
		t.Fatal(err)
	}
	if p.Root() != dir {
		t.Fatalf("Root() = %s, want %s", p.Root(), dir)
	}
	if _, err := envsafe.Open(t.TempDir()); !errors.Is(err, envsafe.ErrNoProject) {
		t.Fatalf("Open(empty folder) = %v, want ErrNoProject", err)
	}
}

func TestSwappedFileIsRefusedAndNothingIsSet(t *testing.T) {
	dir := copyExample(t)
	prod, err := os.ReadFile(filepath.Join(dir, ".envsafe", "production.age"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".envsafe", "development.age"), prod, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DATABASE_URL", "inherited")
	p, err := envsafe.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = p.Setenv(context.Background(), "development")
	if !errors.Is(err, envsafe.ErrIntegrity) {
		t.Fatalf("Setenv over production's file copied to development = %v, want ErrIntegrity", err)
	}
	if strings.Contains(err.Error(), "db.internal") || os.Getenv("DATABASE_URL") != "inherited" {
		t.Fatalf("a refused file leaked into the error or the environment: %v", err)
	}
}

func TestStrangerGetsNoAccess(t *testing.T) {
	t.Setenv("ENVSAFE_IDENTITY", "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX")
	p, err := envsafe.Open("testdata/example")
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Load(context.Background(), "production")
	if !errors.Is(err, envsafe.ErrNotRecipient) || !envsafe.IsNoAccess(err) {
		t.Fatalf("Load by a stranger = %v, want ErrNotRecipient", err)
	}
	if _, err := p.Load(context.Background(), "staging"); !errors.Is(err, envsafe.ErrNoEnvironment) {
		t.Fatalf("Load(staging) = %v, want ErrNoEnvironment", err)
	}
}
