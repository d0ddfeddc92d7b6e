// Package terminal answers whether a stream is an interactive terminal, which
// decides whether envsafe may prompt, colour, or print a secret, and reads
// secrets from it without echo.
package terminal

import (
	"errors"
	"os"
	"os/signal"

	"golang.org/x/term"
)

// IsTerminal reports whether f is connected to a terminal.
func IsTerminal(f *os.File) bool {
	return f != nil && term.IsTerminal(int(f.Fd()))
}

// ErrInterrupted means Ctrl-C was pressed while reading.
var ErrInterrupted = errors.New("interrupted")

// ReadSecret reads one line from the terminal f without echoing it. Ctrl-C
// ends the read (with ErrInterrupted) and the terminal is restored either
// way: a signal must never leave a user's terminal without echo.
func ReadSecret(f *os.File) (string, error) {
	fd := int(f.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return "", err
	}
	interrupt := make(chan os.Signal, 1)
	signal.Notify(interrupt, os.Interrupt)
	defer signal.Stop(interrupt)
	type result struct {
		line []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := term.ReadPassword(fd)
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		return string(r.line), r.err
	case <-interrupt:
		term.Restore(fd, state)
		return "", ErrInterrupted
	}
}
