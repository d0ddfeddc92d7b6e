package editsession

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// DirPrefix starts the name of every private folder a session makes. The
// rest of the name is the owning process's PID, its PID namespace and a
// random part (envsafe-edit-4242-4026531836-123456789), so a later session
// can tell a folder whose process is dead, and remove it, from one whose
// editor is still open.
const DirPrefix = "envsafe-edit-"

// defaultBase is memory where the OS offers it: a file in /dev/shm never
// reaches a disk, so a crash or a stolen laptop cannot give it back.
func defaultBase() string {
	if runtime.GOOS == "linux" {
		if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
			return "/dev/shm"
		}
	}
	return os.TempDir()
}

// pidNamespace identifies this process's PID namespace (the inode of
// /proc/self/ns/pid), or "0" where there is none to read. Containers that
// share /dev/shm but not PIDs then never take each other's live folders
// for stale ones.
func pidNamespace() string {
	link, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return "0"
	}
	_, rest, ok := strings.Cut(link, "[")
	ns, _, ok2 := strings.Cut(rest, "]")
	if !ok || !ok2 || ns == "" {
		return "0"
	}
	return ns
}

// dirPattern is the os.MkdirTemp pattern for a folder owned by pid.
func dirPattern(pid int, ns string) string {
	return fmt.Sprintf("%s%d-%s-", DirPrefix, pid, ns)
}

// makePrivateDir makes a folder only this user can enter, named after this
// process.
func makePrivateDir(base string) (string, error) {
	dir, err := os.MkdirTemp(base, dirPattern(os.Getpid(), pidNamespace()))
	if err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// stalePID returns the PID a folder name says owns it, if the name is one
// makePrivateDir gives in PID namespace ns.
func stalePID(name, ns string) (int, bool) {
	rest, ok := strings.CutPrefix(name, DirPrefix)
	if !ok {
		return 0, false
	}
	parts := strings.SplitN(rest, "-", 3)
	if len(parts) != 3 || parts[1] != ns {
		return 0, false
	}
	pid, err := strconv.Atoi(parts[0])
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}

// removeStale removes the folders in base that an edit session made (by
// name), that belong to this user, are real folders (not links), and whose
// process is dead: what SIGKILL, an OOM kill or a power loss left, with
// decrypted secrets inside. Anything else is left alone, including another
// user's folders and folders of live sessions. It is best effort: a folder
// that cannot be read or removed now is tried again next time. It returns
// the folders it removed.
func removeStale(base string) []string {
	entries, err := os.ReadDir(base)
	if err != nil {
		return nil
	}
	ns := pidNamespace()
	var removed []string
	for _, e := range entries {
		pid, ok := stalePID(e.Name(), ns)
		if !ok || e.Type()&os.ModeType != os.ModeDir {
			continue
		}
		path := filepath.Join(base, e.Name())
		fi, err := os.Lstat(path)
		if err != nil || !fi.IsDir() || !ownedByMe(fi) || processAlive(pid) {
			continue
		}
		if os.RemoveAll(path) == nil {
			removed = append(removed, path)
		}
	}
	return removed
}
