//go:build unix

package editsession

import (
	"os"
	"syscall"
)

// signalParent sends SIGTERM, SIGHUP or SIGQUIT, by name, to the process
// that started the fake editor.
func signalParent(name string) {
	sig := map[string]syscall.Signal{"TERM": syscall.SIGTERM, "HUP": syscall.SIGHUP, "QUIT": syscall.SIGQUIT}[name]
	syscall.Kill(os.Getppid(), sig)
}
