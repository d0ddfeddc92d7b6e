//go:build unix

package store

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

func unsafeReason(fi fs.FileInfo) string {
	if fi.Mode()&fs.ModeSymlink != 0 {
		return "is a symbolic link"
	}
	if fi.Mode().Perm()&0o002 != 0 {
		return "is writable by every user"
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	if uid := uint32(os.Geteuid()); st.Uid != uid && st.Uid != 0 {
		return fmt.Sprintf("belongs to another user (uid %d)", st.Uid)
	}
	return ""
}
