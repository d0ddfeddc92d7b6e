// Package prompt asks the user questions on the terminal. Commands only ever
// see the Prompter interface, so tests replace the terminal with a Script.
package prompt

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/envsafe/envsafe/internal/terminal"
	"github.com/manifoldco/promptui"
)

// ErrInterrupted means the user pressed Ctrl-C or closed input at a prompt.
// It is the terminal's own value, so one errors.Is check covers both.
var ErrInterrupted = terminal.ErrInterrupted

// Prompter asks questions. Implementations write only to the terminal or
// stderr, never stdout, which is for data.
type Prompter interface {
	// Password reads a line without echoing it.
	Password(label string) (string, error)
	// Input reads a line, offering def, re-asking until validate accepts.
	Input(label, def string, validate func(string) error) (string, error)
	// Confirm asks a yes/no question; no is the default.
	Confirm(label string) (bool, error)
}

// Terminal prompts with promptui on the process's terminal, drawing on
// stderr so that stdout stays clean for data.
type Terminal struct {
	In  *os.File
	Out *os.File
	// NoColor draws prompts without colour or symbols (NO_COLOR is set).
	NoColor bool
}

// templates returns plain templates when colour is off, nil for promptui's
// coloured defaults.
func (t Terminal) templates() *promptui.PromptTemplates {
	if !t.NoColor {
		return nil
	}
	return &promptui.PromptTemplates{
		Prompt:          "{{ . }}: ",
		Valid:           "{{ . }}: ",
		Invalid:         "{{ . }}: ",
		Success:         "{{ . }}: ",
		Confirm:         "{{ . }} [y/N]: ",
		ValidationError: ">> {{ . }}",
	}
}

// Password reads a line without echoing it. Secret values do not go
// through promptui: under the race detector its prompt shows a data race
// between its reader goroutine and the returned line, and a secret must
// arrive exactly as typed.
func (t Terminal) Password(label string) (string, error) {
	fmt.Fprintf(t.Out, "%s (input hidden): ", label)
	v, err := terminal.ReadSecret(t.In)
	fmt.Fprintln(t.Out)
	if errors.Is(err, terminal.ErrInterrupted) {
		return "", ErrInterrupted
	}
	return v, err
}

// Input reads a line with a default.
func (t Terminal) Input(label, def string, validate func(string) error) (string, error) {
	p := promptui.Prompt{Label: label, Default: def, AllowEdit: true, Validate: validate, Stdin: t.In, Stdout: nopCloser{t.Out}, Templates: t.templates()}
	v, err := p.Run()
	return strings.TrimSpace(v), translate(err)
}

// Confirm asks a yes/no question.
func (t Terminal) Confirm(label string) (bool, error) {
	p := promptui.Prompt{Label: label, IsConfirm: true, Stdin: t.In, Stdout: nopCloser{t.Out}, Templates: t.templates()}
	_, err := p.Run()
	if errors.Is(err, promptui.ErrAbort) {
		return false, nil
	}
	return err == nil, translate(err)
}

func translate(err error) error {
	if errors.Is(err, promptui.ErrInterrupt) || errors.Is(err, promptui.ErrEOF) {
		return ErrInterrupted
	}
	return err
}

// nopCloser stops promptui from closing stderr when a prompt ends.
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// Script answers prompts from a list, for tests. Asked records each label.
type Script struct {
	Answers []string
	Asked   []string
}

func (s *Script) next(label string) (string, error) {
	s.Asked = append(s.Asked, label)
	if len(s.Answers) == 0 {
		return "", fmt.Errorf("unexpected prompt %q", label)
	}
	a := s.Answers[0]
	s.Answers = s.Answers[1:]
	return a, nil
}

// Password returns the next scripted answer.
func (s *Script) Password(label string) (string, error) { return s.next(label) }

// Input returns the next scripted answer, or def for an empty one.
func (s *Script) Input(label, def string, validate func(string) error) (string, error) {
	a, err := s.next(label)
	if err != nil {
		return "", err
	}
	if a == "" {
		a = def
	}
	if validate != nil {
		if err := validate(a); err != nil {
			return "", err
		}
	}
	return a, nil
}

// Confirm treats a scripted "y" or "yes" as yes.
func (s *Script) Confirm(label string) (bool, error) {
	a, err := s.next(label)
	return a == "y" || a == "yes", err
}
