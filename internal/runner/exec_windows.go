//go:build windows

package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"unsafe"
)

// pathExts are the program extensions cmd.exe tries, from PATHEXT.
func pathExts() []string { return parsePathExt(os.Getenv("PATHEXT")) }

// Windows error codes CreateProcess returns for a file that is there but
// is no program.
const (
	errorBadExeFormat           syscall.Errno = 193
	errorExeMachineTypeMismatch syscall.Errno = 216
)

// Exec runs the program as a child (Windows cannot replace a process) and
// returns its exit code as an *ExitError. A batch file (.bat, .cmd) is run
// through cmd.exe with its arguments quoted for cmd.exe (BatchCommandLine).
//
// A console sends Ctrl-C (and Ctrl-Break) to every process attached to it,
// envsafe and the child alike. envsafe takes it (signal.Notify: ignoring a
// signal does nothing on Windows, where the default action ends the
// process at once) and keeps waiting, so the child decides what Ctrl-C
// means and its exit code is the one returned; a Ctrl-C sent to envsafe
// alone neither ends it nor orphans the child.
func Exec(_ context.Context, path string, args, env []string) error {
	cmd, err := Command(path, args[1:])
	if err != nil {
		return err
	}
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	interrupts := make(chan os.Signal, 1)
	signal.Notify(interrupts, os.Interrupt)
	defer signal.Stop(interrupts)
	if err := cmd.Start(); err != nil {
		return startError(path, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case <-interrupts:
			// The child got the same event (or envsafe alone did): wait.
		case err := <-done:
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				return &ExitError{Code: exit.ExitCode()}
			}
			return err
		}
	}
}

// Command is exec.Command for a program found by LookPath, except that a
// batch file is run through the system's cmd.exe with its arguments quoted
// for cmd.exe (BatchCommandLine), and arguments it cannot carry refused.
func Command(path string, args []string) (*exec.Cmd, error) {
	if !IsBatch(path) {
		return exec.Command(path, args...), nil
	}
	cmdExe, err := systemCmd()
	if err != nil {
		return nil, err
	}
	line, err := BatchCommandLine(cmdExe, path, args)
	if err != nil {
		return nil, err
	}
	return &exec.Cmd{Path: cmdExe, Args: []string{cmdExe}, SysProcAttr: &syscall.SysProcAttr{CmdLine: line}}, nil
}

// CheckArgs refuses, before anything is decrypted, the arguments a batch
// file cannot receive unchanged (see BatchCommandLine).
func CheckArgs(path string, args []string) error {
	if !IsBatch(path) {
		return nil
	}
	_, err := BatchCommandLine(`C:\Windows\System32\cmd.exe`, path, args[1:])
	return err
}

// startError sorts CreateProcess's refusals into not found (127) and not
// executable (126).
func startError(path string, err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.ERROR_FILE_NOT_FOUND, syscall.ERROR_PATH_NOT_FOUND:
			return fmt.Errorf("%s: %w", path, ErrNotFound)
		case errorBadExeFormat, errorExeMachineTypeMismatch, syscall.ERROR_ACCESS_DENIED:
			return fmt.Errorf("%s: %w: %v", path, ErrNotExecutable, errno)
		}
	}
	return fmt.Errorf("starting %s: %w", path, err)
}

// systemCmd is cmd.exe in the system folder, never one found through PATH
// or %ComSpec%, which the environment could point anywhere.
func systemCmd() (string, error) {
	proc := syscall.NewLazyDLL("kernel32.dll").NewProc("GetSystemDirectoryW")
	buf := make([]uint16, syscall.MAX_PATH)
	n, _, err := proc.Call(uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
	if n == 0 || int(n) > len(buf) {
		return "", fmt.Errorf("finding cmd.exe for a batch file: %w", err)
	}
	return filepath.Join(syscall.UTF16ToString(buf[:n]), "cmd.exe"), nil
}
