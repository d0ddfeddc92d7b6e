package editsession

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// deadPID is the PID of a process that has ended and been reaped, so the
// kernel knows no process by it (until PIDs wrap around, which they do not
// within a test).
func deadPID(t *testing.T) int {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), fakeEditorVar+"=exit")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if processAlive(cmd.Process.Pid) {
		t.Fatalf("pid %d still alive after Wait", cmd.Process.Pid)
	}
	return cmd.Process.Pid
}

func TestMakePrivateDir(t *testing.T) {
	base := t.TempDir()
	dir, err := makePrivateDir(base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(dir); os.Remove(base) }) // before t.TempDir's RemoveAll, which fails under wine 8
	if filepath.Dir(dir) != base {
		t.Fatalf("made %s outside %s", dir, base)
	}
	if pid, ok := stalePID(filepath.Base(dir), pidNamespace()); !ok || pid != os.Getpid() {
		t.Fatalf("%s does not name this process: %d, %v", dir, pid, ok)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700 {
		t.Fatalf("mode %v, want 0700", fi.Mode().Perm())
	}
}

func TestStalePID(t *testing.T) {
	for _, c := range []struct {
		name string
		pid  int
		ok   bool
	}{
		{"envsafe-edit-4242-99-123456", 4242, true},
		{"envsafe-edit-4242-99-", 4242, true},
		{"envsafe-edit-4242-98-123456", 0, false}, // another PID namespace
		{"envsafe-edit-123456789", 0, false},      // an older envsafe: no PID in the name
		{"envsafe-edit-x-99-1", 0, false},
		{"envsafe-edit-0-99-1", 0, false},
		{"envsafe-edit--1-99-1", 0, false},
		{"other-4242-99-1", 0, false},
	} {
		pid, ok := stalePID(c.name, "99")
		if pid != c.pid || ok != c.ok {
			t.Errorf("stalePID(%q) = %d, %v; want %d, %v", c.name, pid, ok, c.pid, c.ok)
		}
	}
}

// After a SIGKILL the decrypted file stays; the next session removes it,
// and nothing that might still be in use or is not envsafe's.
func TestRemoveStaleTakesOnlyDeadSessionsOfThisUser(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("stale folders are only detected on Unix")
	}
	base := t.TempDir()
	ns := pidNamespace()
	dead := deadPID(t)
	mk := func(name string) string {
		t.Helper()
		dir := filepath.Join(base, name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "development.env"), []byte("API_KEY=secret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	stale := mk(dirPattern(dead, ns) + "1")
	stale2 := mk(dirPattern(dead, ns) + "2")
	kept := []string{
		mk(dirPattern(os.Getpid(), ns) + "3"), // a live session
		mk(dirPattern(dead, ns+"0") + "4"),    // another PID namespace: its PIDs mean nothing here
		mk(DirPrefix + "123456"),              // an older envsafe's folder: owner unknown
		mk("unrelated-" + dirPattern(dead, ns)),
	}
	target := mk("target")
	kept = append(kept, target)
	if err := os.Symlink(target, filepath.Join(base, dirPattern(dead, ns)+"5")); err != nil {
		t.Fatal(err)
	}
	kept = append(kept, filepath.Join(base, dirPattern(dead, ns)+"5"))
	plain := filepath.Join(base, dirPattern(dead, ns)+"6")
	os.WriteFile(plain, nil, 0o600)
	kept = append(kept, plain)
	if os.Getuid() == 0 {
		// Root can make a folder that is someone else's: a user who made a
		// folder with envsafe's name in /dev/shm does not get it removed.
		other := mk(dirPattern(dead, ns) + "7")
		if err := os.Chown(other, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, other)
	}

	removed := removeStale(base)
	slices.Sort(removed)
	if want := []string{stale, stale2}; !slices.Equal(removed, want) {
		t.Fatalf("removed %q, want %q", removed, want)
	}
	for _, dir := range []string{stale, stale2} {
		if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there", dir)
		}
	}
	for _, path := range kept {
		if _, err := os.Lstat(path); err != nil {
			t.Errorf("%s was removed: %v", path, err)
		}
	}
	if _, err := os.Stat(filepath.Join(target, "development.env")); err != nil {
		t.Errorf("the folder a link pointed at was emptied: %v", err)
	}
	if got := removeStale(filepath.Join(base, "missing")); got != nil {
		t.Errorf("a missing base: %q", got)
	}
}

func TestEditRemovesStaleFoldersFirst(t *testing.T) {
	f := newFixture(t, "noop")
	stale := filepath.Join(f.session.Base, dirPattern(deadPID(t), pidNamespace())+"1")
	if err := os.Mkdir(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.session.Edit("development", text); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the stale folder %s is still there", stale)
	}
}

func TestProcessAlive(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix only")
	}
	if !processAlive(os.Getpid()) {
		t.Fatal("this process is not alive")
	}
	if processAlive(deadPID(t)) {
		t.Fatal("a reaped process is alive")
	}
}
