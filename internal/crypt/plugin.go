package crypt

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"unicode"

	"filippo.io/age"
	"filippo.io/age/plugin"
	"github.com/envsafe/envsafe/internal/hint"
)

// Keys that never leave hardware (a YubiKey, a TPM, the Secure Enclave)
// reach age through plugins: a separate program, age-plugin-NAME, that
// age's plugin client starts and talks to over its stdin and stdout. An
// identity is then only a stub (AGE-PLUGIN-NAME-1...) naming the key, and
// the plugin asks for a PIN or a touch while it unwraps a file key.

// ErrPluginMissing means the age-plugin-NAME program a recipient or an
// identity needs is not installed (not on PATH).
var ErrPluginMissing = errors.New("age plugin not installed")

// ErrNoTerminal means a plugin asked a question (a PIN) and there was no
// terminal to ask it on.
var ErrNoTerminal = errors.New("no terminal to answer the plugin on")

// ErrPluginFailed means a plugin ran and reported an error (a key that is
// not plugged in, a wrong PIN).
var ErrPluginFailed = errors.New("age plugin failed")

// PluginError is a failure of the plugin named Plugin: Kind is one of
// ErrPluginMissing, ErrNoTerminal or ErrPluginFailed. Detail is the
// plugin's own words (or the question it asked), cleaned of control
// characters and of the identity stub.
type PluginError struct {
	Plugin string
	Kind   error
	Detail string
}

func (e *PluginError) Error() string {
	prog := "age-plugin-" + e.Plugin
	switch e.Kind {
	case ErrPluginMissing:
		return fmt.Sprintf("%s is not installed (not found on PATH)", prog)
	case ErrNoTerminal:
		return fmt.Sprintf("%s asked %q and there is no terminal to answer on", prog, e.Detail)
	}
	if e.Detail == "" {
		return prog + " failed"
	}
	return prog + " failed: " + e.Detail
}

// Unwrap makes errors.Is(err, ErrPluginMissing) and the like work.
func (e *PluginError) Unwrap() error { return e.Kind }

// pluginHome says where the plugins for the three kinds of hardware keys
// envsafe documents come from, for the install hint.
var pluginHome = map[string]string{
	"yubikey": "https://github.com/str4d/age-plugin-yubikey",
	"tpm":     "https://github.com/Foxboron/age-plugin-tpm",
	"se":      "https://github.com/remko/age-plugin-se",
}

// pluginErr classifies an error from age's plugin client.
// A recipient's error (encrypting) has no stub: everyone who writes to
// that member needs the plugin, not only its owner.
func pluginErr(name string, err error, asked string, noTerminal bool, stub string) error {
	var nf *plugin.NotFoundError
	switch {
	case errors.As(err, &nf):
		where := "install age-plugin-" + name
		if home, ok := pluginHome[name]; ok {
			where += " (" + home + ")"
		}
		where += " and make sure it is on PATH"
		if stub == "" {
			where += "; everyone who writes an environment with an age1" + name + "1... member needs it"
		}
		return hint.With(&PluginError{Plugin: name, Kind: ErrPluginMissing}, where)
	case noTerminal:
		return hint.With(&PluginError{Plugin: name, Kind: ErrNoTerminal, Detail: cleanPluginText(asked, stub)},
			"run envsafe from a terminal: plugins ask on /dev/tty, never on stdin or stdout; "+
				"a machine without one (CI) needs a key of its own that asks nothing, through ENVSAFE_IDENTITY")
	}
	detail := strings.TrimPrefix(err.Error(), name+" plugin: ")
	return &PluginError{Plugin: name, Kind: ErrPluginFailed, Detail: cleanPluginText(detail, stub)}
}

// cleanPluginText makes a plugin's text safe to print: no control
// characters (a plugin must not drive the terminal), never the identity
// stub, and bounded.
func cleanPluginText(s, stub string) string {
	if stub != "" {
		s = strings.ReplaceAll(s, stub, "AGE-PLUGIN-...")
		s = strings.ReplaceAll(s, strings.ToLower(stub), "AGE-PLUGIN-...")
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// PluginUI is how a plugin reaches the person at the keyboard. Message
// shows a line (touch your key); Ask puts a question on the terminal and
// reads the answer, hidden when secret, and returns ErrNoTerminal when
// there is no terminal. A nil Ask means there is none. Neither may use
// stdout: it carries the values `get` and `export` print.
type PluginUI struct {
	Message func(text string)
	Ask     func(prompt string, secret bool) (string, error)
}

// SetPluginUI sets how this identity's plugins talk to the user. Without
// it, a plugin that asks anything gets no answer (ErrNoTerminal).
func (id *Identity) SetPluginUI(ui PluginUI) { *id.ui = ui }

// Plugin returns the plugin name of the identity's first key ("yubikey"),
// or "" when it is a plain age or SSH key.
func (id *Identity) Plugin() string { return id.plugin }

// pluginIdentity is an age.Identity that runs age-plugin-NAME to unwrap.
type pluginIdentity struct {
	name string
	stub string
	ui   *PluginUI
}

func (p *pluginIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	var (
		asked      string
		noTerminal bool
	)
	ask := func(prompt string, secret bool) (string, error) {
		if p.ui.Ask == nil {
			asked, noTerminal = prompt, true
			return "", ErrNoTerminal
		}
		v, err := p.ui.Ask(cleanPluginText(p.name+" plugin: "+prompt, p.stub)+" ", secret)
		if errors.Is(err, ErrNoTerminal) {
			asked, noTerminal = prompt, true
		}
		return v, err
	}
	say := func(text string) error {
		if p.ui.Message == nil {
			return errors.New("no way to show a message")
		}
		p.ui.Message(cleanPluginText(p.name+" plugin: "+text, p.stub))
		return nil
	}
	ui := &plugin.ClientUI{
		DisplayMessage: func(_, message string) error { return say(message) },
		RequestValue:   func(_, prompt string, secret bool) (string, error) { return ask(prompt, secret) },
		Confirm: func(_, prompt, yes, no string) (bool, error) {
			if no == "" {
				_, err := ask(prompt+" (press enter for "+yes+")", false)
				return err == nil, err
			}
			for {
				answer, err := ask(prompt+" ["+yes+"/"+no+"]", false)
				if err != nil {
					return false, err
				}
				switch strings.TrimSpace(answer) {
				case yes, "1":
					return true, nil
				case no, "2":
					return false, nil
				}
			}
		},
		WaitTimer: func(string) { _ = say("waiting for the key (touch it if it blinks)") },
	}
	id, err := plugin.NewIdentity(p.stub, ui)
	if err != nil {
		return nil, fmt.Errorf("invalid plugin identity for %s", p.name)
	}
	key, err := id.Unwrap(stanzas)
	if err == nil || errors.Is(err, age.ErrIncorrectIdentity) {
		return key, err
	}
	return nil, pluginErr(p.name, err, asked, noTerminal, p.stub)
}

// pluginRecipient is an age1NAME1... recipient: age-plugin-NAME wraps the
// file key. Encrypting asks nothing of the user, so its UI shows nothing
// and answers nothing.
type pluginRecipient struct {
	name string
	r    *plugin.Recipient
}

func newPluginRecipient(s string) (*pluginRecipient, error) {
	name, _, err := plugin.ParseRecipient(s)
	if err != nil {
		return nil, err
	}
	r, err := plugin.NewRecipient(s, &plugin.ClientUI{})
	if err != nil {
		return nil, err
	}
	return &pluginRecipient{name: name, r: r}, nil
}

// Installed checks, before anything is written, that a plugin recipient's
// age-plugin-NAME is on PATH, as encrypting to it will need; other
// recipients need nothing.
func (r Recipient) Installed() error {
	p, ok := r.r.(*pluginRecipient)
	if !ok {
		return nil
	}
	if _, err := exec.LookPath("age-plugin-" + p.name); err != nil {
		return pluginErr(p.name, &plugin.NotFoundError{Name: p.name, Err: err}, "", false, "")
	}
	return nil
}

func (p *pluginRecipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	s, _, err := p.WrapWithLabels(fileKey)
	return s, err
}

// WrapWithLabels passes the plugin's labels on, so that age itself refuses
// a post-quantum plugin key beside classic ones.
func (p *pluginRecipient) WrapWithLabels(fileKey []byte) ([]*age.Stanza, []string, error) {
	s, labels, err := p.r.WrapWithLabels(fileKey)
	if err != nil {
		return nil, nil, pluginErr(p.name, err, "", false, "")
	}
	return s, labels, nil
}

// PluginRecipient reports whether a recipient text is a plugin's
// (age1yubikey1..., age1tpm1..., any age1NAME1...) rather than one age
// encrypts to by itself (age1..., age1pq1..., age1tag1..., age1tagpq1...):
// only then can an environment's file hold stanzas of a type envsafe
// cannot name in advance. bech32 data never holds a "1", so a second one
// means a longer prefix than "age".
func PluginRecipient(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "age1") && strings.Count(s, "1") > 1 &&
		!strings.HasPrefix(s, "age1pq1") && !strings.HasPrefix(s, "age1tag1") && !strings.HasPrefix(s, "age1tagpq1")
}
