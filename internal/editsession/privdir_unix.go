//go:build unix

package editsession

import (
	"errors"
	"os"
	"syscall"
)

// ownedByMe reports whether this user owns the folder: in a shared place
// such as /dev/shm anyone can make a folder with envsafe's name.
func ownedByMe(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}

// processAlive asks the kernel (kill with signal 0, which sends nothing).
// Only "no such process" counts as dead: a process of another user still
// owns its folder.
func processAlive(pid int) bool {
	return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
