// Package terminal answers whether a stream is an interactive terminal, which
// decides whether envsafe may prompt, colour, or print a secret.
package terminal

import (
	"os"

	"golang.org/x/term"
)

// IsTerminal reports whether f is connected to a terminal.
func IsTerminal(f *os.File) bool {
	return f != nil && term.IsTerminal(int(f.Fd()))
}
