package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/keychain"
	"github.com/envsafe/envsafe/internal/migrate"
	"github.com/envsafe/envsafe/internal/prompt"
	"github.com/envsafe/envsafe/internal/runner"
	"github.com/envsafe/envsafe/internal/store"
)

// Exit codes, as documented in the README. ExitCode is the only place that
// chooses among them.
const (
	ExitOK          = 0
	ExitFailure     = 1
	ExitUsage       = 2
	ExitNoAccess    = 3
	ExitNoIdentity  = 4
	ExitIntegrity   = 5
	ExitInterrupted = 130
	// Exit statuses of `run` before the program starts, as env(1) and
	// docker use them, so they cannot be confused with the program's own.
	ExitRunFailed        = 125
	ExitRunNotExecutable = 126
	ExitRunNotFound      = 127
)

// runError is a failure of `run` before the program took over: it exits
// with code, whatever the cause, and keeps the cause's message and hints.
type runError struct {
	code int
	err  error
}

func (e *runError) Error() string { return e.err.Error() }
func (e *runError) Unwrap() error { return e.err }

// usageError is a command line that does not make sense: exit 2.
type usageError struct {
	cmd string
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef reports a usage error for cmd ("set", "identity new") with a hint
// pointing at its help.
func usagef(cmd, format string, args ...any) error {
	help := strings.Join(strings.Fields("envsafe "+cmd+" --help"), " ")
	return hint.With(&usageError{cmd: cmd, err: fmt.Errorf(format, args...)}, "see `"+help+"`")
}

// ExitCode maps an error to the process exit status.
func ExitCode(err error) int {
	var (
		usage    *usageError
		run      *runError
		child    *runner.ExitError
		findings *findingsError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &findings):
		return ExitFailure
	case errors.As(err, &child):
		return child.Code
	case errors.As(err, &run):
		return run.code
	case errors.Is(err, context.Canceled), errors.Is(err, prompt.ErrInterrupted):
		return ExitInterrupted
	case errors.As(err, &usage):
		return ExitUsage
	case errors.Is(err, store.ErrNotRecipient), errors.Is(err, migrate.ErrNoKey):
		return ExitNoAccess
	case errors.Is(err, identity.ErrNoIdentity), errors.Is(err, keychain.ErrUnavailable),
		errors.Is(err, identity.ErrPluginMissing), errors.Is(err, identity.ErrNoTerminal):
		return ExitNoIdentity
	case errors.Is(err, store.ErrIntegrity), errors.Is(err, migrate.ErrIntegrity):
		return ExitIntegrity
	default:
		return ExitFailure
	}
}

// report prints err and its hints as envsafe: error / envsafe: hint lines.
func report(w io.Writer, err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, prompt.ErrInterrupted) {
		fmt.Fprintln(w, "envsafe: interrupted")
		return
	}
	var findings *findingsError
	if errors.As(err, &findings) {
		fmt.Fprintf(w, "envsafe: %s\n", findings.summary)
	} else {
		fmt.Fprintf(w, "envsafe: error: %v\n", err)
	}
	for _, h := range hint.All(err) {
		fmt.Fprintf(w, "envsafe: hint: %s\n", h)
	}
}
