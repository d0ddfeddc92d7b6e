package gitexec

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// requireGit skips a test on a machine without git, unless
// ENVSAFE_REQUIRE_TOOLS=1 says git must be there.
func requireGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("ENVSAFE_REQUIRE_TOOLS") == "1" {
			t.Fatal("ENVSAFE_REQUIRE_TOOLS=1 but git is not on PATH")
		}
		t.Skip("git is not installed")
	}
}

// isolate keeps git away from the machine's and the user's configuration
// and from any repository above the test's folders.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(home))
	for _, v := range []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	return home
}

// repo makes a repository holding one committed file.
func repo(t *testing.T) string {
	t.Helper()
	requireGit(t)
	isolate(t)
	dir := t.TempDir()
	must(t, dir, "init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	must(t, dir, "add", "a.txt")
	must(t, dir, "-c", "user.name=T", "-c", "user.email=t@x", "commit", "-q", "-m", "first")
	return dir
}

func must(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := Output(dir, args...)
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return string(out)
}

func TestOutputRunsGitInDir(t *testing.T) {
	dir := repo(t)
	if got := must(t, dir, "log", "--format=%s"); got != "first\n" {
		t.Fatalf("git log in %s printed %q", dir, got)
	}
	// The same command in a folder outside any repository fails: dir is
	// where git runs, not the test's working directory.
	_, err := Output(t.TempDir(), "log", "--format=%s")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(string(exit.Stderr), "not a git repository") {
		t.Fatalf("git log outside a repository: %v (stderr %q)", err, stderrOf(err))
	}
}

func stderrOf(err error) string {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return string(exit.Stderr)
	}
	return ""
}

func TestStreamHandsOverStdout(t *testing.T) {
	dir := repo(t)
	want := must(t, dir, "log", "-p")
	var got bytes.Buffer
	if err := Stream(dir, []string{"log", "-p"}, func(r io.Reader) error {
		_, err := io.Copy(&got, r)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got.String() != want {
		t.Fatalf("Stream read %q, Output %q", got.String(), want)
	}
}

func TestStreamReportsWhatGitSaid(t *testing.T) {
	dir := repo(t)
	err := Stream(dir, []string{"cat-file", "blob", strings.Repeat("0", 40)}, func(r io.Reader) error {
		_, err := io.Copy(io.Discard, r)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "fatal:") {
		t.Fatalf("a failing git gave %v, want its stderr", err)
	}
}

// bigBlob stores more than a pipe holds, so git blocks writing until
// someone reads.
func bigBlob(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "big.txt")
	if err := os.WriteFile(path, bytes.Repeat([]byte("0123456789abcdef\n"), 1<<16), 0o644); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(must(t, dir, "hash-object", "-w", "big.txt"))
}

// finishes fails the test when f has not returned within a generous bound:
// a Stream that deadlocks on a full pipe never returns.
func finishes(t *testing.T, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Stream did not return: git is blocked on its output")
		return nil
	}
}

func TestStreamStopsGitWhenReadFails(t *testing.T) {
	dir := repo(t)
	blob := bigBlob(t, dir)
	stop := errors.New("seen enough")
	err := finishes(t, func() error {
		return Stream(dir, []string{"cat-file", "blob", blob}, func(r io.Reader) error {
			r.Read(make([]byte, 10))
			return stop
		})
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Stream returned %v, want the reader's error", err)
	}
}

func TestStreamReaderMayStopEarly(t *testing.T) {
	dir := repo(t)
	blob := bigBlob(t, dir)
	err := finishes(t, func() error {
		return Stream(dir, []string{"cat-file", "blob", blob}, func(r io.Reader) error {
			_, err := r.Read(make([]byte, 10))
			return err
		})
	})
	if err != nil {
		t.Fatalf("a reader that stopped early made Stream fail: %v", err)
	}
}

func TestUserName(t *testing.T) {
	requireGit(t)
	home := isolate(t)
	if got := UserName(); got != "" {
		t.Fatalf("no user.name set, got %q", got)
	}
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte("[user]\n\tname = Ada Lovelace \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := UserName(); got != "Ada Lovelace" {
		t.Fatalf("UserName() = %q", got)
	}
}

func TestSelfCommand(t *testing.T) {
	dir := t.TempDir()
	self := filepath.Join(dir, "my tools", "envsafe")
	other := filepath.Join(dir, "other", "envsafe")
	for _, p := range []string{self, other} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(dir, "bin", "envsafe")
	os.MkdirAll(filepath.Dir(link), 0o755)
	if err := os.Symlink(self, link); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	found := func(p string) func(string) (string, error) {
		return func(string) (string, error) { return p, nil }
	}
	notFound := func(string) (string, error) { return "", exec.ErrNotFound }
	for _, c := range []struct {
		name     string
		lookPath func(string) (string, error)
		want     string
	}{
		{"this binary on PATH", found(self), "envsafe"},
		{"a symlink to this binary on PATH", found(link), "envsafe"},
		{"another envsafe on PATH", found(other), self},
		{"none on PATH", notFound, self},
		{"a dangling PATH entry", found(filepath.Join(dir, "gone")), self},
	} {
		if got := selfCommand(self, c.lookPath); got != c.want {
			t.Errorf("%s: selfCommand = %q, want %q", c.name, got, c.want)
		}
	}
}

// git runs hooks and helpers: none of them may see envsafe's key.
func TestGitNeverSeesTheKey(t *testing.T) {
	requireGit(t)
	t.Setenv("ENVSAFE_IDENTITY", "AGE-SECRET-KEY-1CANARY")
	t.Setenv("ENVSAFE_IDENTITY_FILE", "/canary/key.txt")
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	dir := t.TempDir()
	if _, err := Output(dir, "init", "-q"); err != nil {
		t.Fatal(err)
	}
	// An alias that runs a shell prints the environment git passes on.
	out, err := Output(dir, "-c", "alias.envdump=!env", "envdump")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "ENVSAFE_IDENTITY") {
		t.Fatalf("git's children see envsafe's key variables:\n%s", out)
	}
}
