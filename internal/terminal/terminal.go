// Package terminal answers whether a stream is an interactive terminal, which
// decides whether envsafe may prompt, colour, or print a secret, and reads
// secrets from it without echo.
package terminal

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"

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

// ErrNoTerminal means the process has no controlling terminal to ask on.
var ErrNoTerminal = errors.New("no terminal")

// Ask puts prompt on the controlling terminal (/dev/tty; the console on
// Windows) and reads one line from it, without echo when secret. It never
// touches stdin or stdout, which may carry data, so a hardware key's PIN
// can be asked for while `envsafe get NAME > file` runs. Without a
// terminal it returns ErrNoTerminal.
func Ask(prompt string, secret bool) (string, error) {
	in, out, err := openTTY()
	if err != nil {
		return "", ErrNoTerminal
	}
	defer in.Close()
	if out != in {
		defer out.Close()
	}
	if !IsTerminal(in) {
		return "", ErrNoTerminal
	}
	if _, err := io.WriteString(out, prompt); err != nil {
		return "", err
	}
	if secret {
		line, err := ReadSecret(in)
		io.WriteString(out, "\n")
		return line, err
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// openTTY opens the controlling terminal for reading and for writing.
func openTTY() (in, out *os.File, err error) {
	if runtime.GOOS == "windows" {
		if in, err = os.OpenFile("CONIN$", os.O_RDWR, 0); err != nil {
			return nil, nil, err
		}
		if out, err = os.OpenFile("CONOUT$", os.O_WRONLY, 0); err != nil {
			in.Close()
			return nil, nil, err
		}
		return in, out, nil
	}
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	return f, f, err
}
