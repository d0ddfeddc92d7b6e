//go:build unix

package runner

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
)

// pathExts is nil: Unix has no implied extensions.
func pathExts() []string { return nil }

// Command is exec.Command: Unix has no batch files to treat apart.
func Command(path string, args []string) (*exec.Cmd, error) {
	return exec.Command(path, args...), nil
}

// CheckArgs accepts every argument: execve passes them to the program as
// they are.
func CheckArgs(string, []string) error { return nil }

// Exec replaces envsafe with the program: same PID, so signals sent to the
// PID envsafe started with, the terminal's job control and the exit status
// all belong to the program. It returns only if the kernel refused.
func Exec(_ context.Context, path string, args, env []string) error {
	err := syscall.Exec(path, args, env)
	switch {
	case errors.Is(err, syscall.E2BIG):
		return fmt.Errorf("the environment and arguments are too large for the OS (E2BIG); the largest variables: %s", LargestVars(env, 3))
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.ENOEXEC), errors.Is(err, syscall.EISDIR):
		return fmt.Errorf("%s: %w: %v", path, ErrNotExecutable, err)
	case errors.Is(err, syscall.ENOENT):
		// A script whose interpreter (#!) is missing also ends here.
		return fmt.Errorf("%s: %w (or its #! interpreter is missing)", path, ErrNotFound)
	}
	return fmt.Errorf("starting %s: %w", path, err)
}
