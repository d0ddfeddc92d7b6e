package commands

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// scanGit hands Deps' git to the scan package, with what git said on
// stderr added to its errors.
type scanGit struct{ d *Deps }

func (g scanGit) Output(dir string, args ...string) ([]byte, error) {
	out, err := g.d.Git(dir, args...)
	return out, gitError(err)
}

func (g scanGit) Stream(dir string, args []string, read func(io.Reader) error) error {
	return gitError(g.d.gitStream(dir, args, read))
}

// gitError adds what git said on stderr to err.
func gitError(err error) error {
	var exit *exec.ExitError
	if errors.As(err, &exit) && len(exit.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(exit.Stderr)))
	}
	return err
}

// shortCommit cuts a commit hash to the 12 characters log shows (scan's
// findings cut theirs in scan.Finding.String).
func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

// summarize lists at most n items and says how many more there are.
func summarize(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
}
