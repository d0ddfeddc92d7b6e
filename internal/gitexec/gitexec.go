// Package gitexec runs the git binary for envsafe, and says how git should
// run envsafe back (the diff and merge drivers, the pre-commit hook). Only
// main uses it directly; commands get these functions through Deps, so
// their tests can replace git.
package gitexec

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/envsafe/envsafe/internal/runner"
)

// Output runs git with args in dir and returns its stdout. On failure the
// error is the *exec.ExitError, whose Stderr holds what git said, so the
// caller decides how much of it to show.
func Output(dir string, args ...string) ([]byte, error) {
	cmd := command(args...)
	cmd.Dir = dir
	return cmd.Output()
}

// command is git with envsafe's own key removed from its environment: git
// runs hooks, fsmonitor and credential helpers, none of which needs the key
// that opens every environment.
func command(args ...string) *exec.Cmd {
	cmd := exec.Command("git", args...)
	cmd.Env = runner.ChildEnviron(os.Environ())
	return cmd
}

// Stream runs git with args in dir and hands its stdout to read while git
// runs, for output too large to hold (scan --history reads git log -p).
// When read fails git is killed and read's error returned; when git fails,
// the error carries what it said on stderr.
func Stream(dir string, args []string, read func(io.Reader) error) error {
	cmd := command(args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	rerr := read(out)
	if rerr != nil {
		cmd.Process.Kill()
	} else {
		// A reader that stopped early must not leave git blocked on a
		// full pipe: Wait would never return.
		io.Copy(io.Discard, out)
	}
	werr := cmd.Wait()
	if rerr != nil {
		return rerr
	}
	if werr != nil {
		return fmt.Errorf("%w: %s", werr, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}

// UserName returns `git config user.name`, or "" when git or the setting
// is missing: it only suggests a member name.
func UserName() string {
	out, err := command("config", "user.name").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// SelfCommand is how git hooks and drivers should call envsafe: by name
// when that finds this very binary, so the config survives upgrades, else
// by absolute path. The result is a word to quote, not a command line.
func SelfCommand() string {
	self, err := os.Executable()
	if err != nil {
		return "envsafe"
	}
	return selfCommand(self, exec.LookPath)
}

// selfCommand is SelfCommand with the running binary and the PATH lookup
// given, for tests.
func selfCommand(self string, lookPath func(string) (string, error)) string {
	if onPath, err := lookPath("envsafe"); err == nil {
		if a, err1 := filepath.EvalSymlinks(onPath); err1 == nil {
			if b, err2 := filepath.EvalSymlinks(self); err2 == nil && a == b {
				return "envsafe"
			}
		}
	}
	return self
}
