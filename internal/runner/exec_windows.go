//go:build windows

package runner

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"strings"
)

// candidates tries the PATHEXT extensions Windows would.
func candidates(path string) []string {
	exts := strings.Split(strings.ToLower(os.Getenv("PATHEXT")), ";")
	if len(exts) == 0 || exts[0] == "" {
		exts = []string{".com", ".exe", ".bat", ".cmd"}
	}
	out := []string{path}
	for _, e := range exts {
		out = append(out, path+e)
	}
	return out
}

// Exec runs the program as a child (Windows cannot replace a process),
// passing Ctrl-C on to it and returning its exit code as an *ExitError.
func Exec(ctx context.Context, path string, args, env []string) error {
	cmd := exec.Command(path, args[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// The console delivers Ctrl-C to the whole process group; envsafe only
	// has to survive it and wait for the child to decide.
	signal.Ignore(os.Interrupt)
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return &ExitError{Code: exit.ExitCode()}
		}
		return err
	}
	return nil
}
