// Package plugintest is an age plugin for tests, age-plugin-envsafetest,
// built with filippo.io/age/plugin: hardware keys cannot be tested here,
// the protocol can. A test binary runs Main when it is started under the
// plugin's name (see IsPlugin), so linking it onto PATH as
// age-plugin-envsafetest installs the plugin.
//
// Its keys are X25519 keys in plugin clothes: the recipient carries the
// public key, the identity the secret, and the stanza type is
// "envsafetest", which age cannot name. The identity's first byte picks a
// behaviour: plain, ask for a PIN, fail, or show a message first. The
// identity with no data (`age -j envsafetest`) is the fixed key Fixed.
//
// Only tests import this package (internal/archtest checks it).
package plugintest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
	"filippo.io/age/plugin"
)

// Name is the plugin's name: the binary is age-plugin-envsafetest.
const Name = "envsafetest"

// Mode is what the plugin does when it unwraps with an identity.
type Mode byte

const (
	// Plain unwraps without asking anything.
	Plain Mode = iota
	// PIN asks for a secret value and unwraps only if it is PINValue.
	PIN
	// Fail reports an error (a key that is not plugged in).
	Fail
	// Message shows a message (touch the key), then unwraps.
	Message
)

// PINValue is the PIN a PIN-mode identity accepts.
const PINValue = "123456"

// FailMessage is what a Fail-mode identity reports.
const FailMessage = "the envsafetest key is not plugged in"

// fixedSecret is the key behind the identity with no data, for `age -j`.
// It is a test key: it protects nothing.
const fixedSecret = "AGE-SECRET-KEY-1MKSAD8765KYSYKV46W0UAK6RKZDR93NDX0YQJDX20J8A3WSU6AHQ2HJUSM"

const stanzaType = "envsafetest"

// IsPlugin reports whether this process was started as the plugin.
func IsPlugin() bool {
	return filepath.Base(os.Args[0]) == "age-plugin-"+Name
}

// Main runs the plugin protocol and returns the exit status. Started
// with --print-fixed, it prints the identity file of the fixed key instead
// (for bench/run.sh, which has no Go test helpers).
func Main() int {
	if len(os.Args) == 2 && os.Args[1] == "--print-fixed" {
		text, _, err := Fixed()
		if err != nil {
			return 1
		}
		_, err = os.Stdout.WriteString(text)
		if err != nil {
			return 1
		}
		return 0
	}
	p, err := plugin.New(Name)
	if err != nil {
		return 1
	}
	p.HandleRecipient(func(data []byte) (age.Recipient, error) {
		r, err := age.ParseX25519Recipient(string(data))
		if err != nil {
			return nil, errors.New("not an envsafetest recipient")
		}
		return recipient{r}, nil
	})
	p.HandleIdentity(func(data []byte) (age.Identity, error) {
		if len(data) == 0 {
			data = append([]byte{byte(Plain)}, fixedSecret...)
		}
		k, err := age.ParseX25519Identity(string(data[1:]))
		if err != nil {
			return nil, errors.New("not an envsafetest identity")
		}
		return &identity{p: p, mode: Mode(data[0]), k: k}, nil
	})
	return p.Main()
}

// NewKey makes a key of the given mode and returns its identity file text
// (with the `# public key:` line envsafe needs) and its recipient.
func NewKey(mode Mode) (identityText, recipient string, err error) {
	k, err := age.GenerateX25519Identity()
	if err != nil {
		return "", "", err
	}
	return keyText(mode, k)
}

// Fixed returns the identity file text and recipient of the fixed key,
// the one `age -d -j envsafetest` uses.
func Fixed() (identityText, recipient string, err error) {
	k, err := age.ParseX25519Identity(fixedSecret)
	if err != nil {
		return "", "", err
	}
	rec := plugin.EncodeRecipient(Name, []byte(k.Recipient().String()))
	return "# public key: " + rec + "\n" + plugin.EncodeIdentity(Name, nil) + "\n", rec, nil
}

func keyText(mode Mode, k *age.X25519Identity) (string, string, error) {
	rec := plugin.EncodeRecipient(Name, []byte(k.Recipient().String()))
	id := plugin.EncodeIdentity(Name, append([]byte{byte(mode)}, k.String()...))
	if rec == "" || id == "" {
		return "", "", errors.New("encoding the envsafetest key failed")
	}
	return "# created by plugintest\n# Recipient: " + rec + "\n" + id + "\n", rec, nil
}

type recipient struct{ r *age.X25519Recipient }

func (r recipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	ss, err := r.r.Wrap(fileKey)
	for _, s := range ss {
		s.Type = stanzaType
	}
	return ss, err
}

type identity struct {
	p    *plugin.Plugin
	mode Mode
	k    *age.X25519Identity
}

func (i *identity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	var ours []*age.Stanza
	for _, s := range stanzas {
		if s.Type == stanzaType {
			ours = append(ours, &age.Stanza{Type: "X25519", Args: s.Args, Body: s.Body})
		}
	}
	if len(ours) == 0 {
		return nil, age.ErrIncorrectIdentity
	}
	switch i.mode {
	case Fail:
		return nil, errors.New(FailMessage)
	case PIN:
		pin, err := i.p.RequestValue("Enter PIN for the envsafetest key:", true)
		if err != nil {
			return nil, errors.New("could not read the PIN")
		}
		if strings.TrimSpace(pin) != PINValue {
			return nil, errors.New("wrong PIN")
		}
	case Message:
		if err := i.p.DisplayMessage("touch your envsafetest key"); err != nil {
			return nil, err
		}
	}
	return i.k.Unwrap(ours)
}

// TagtestRecipient is the fixed age1tag1 key of age's own test plugin,
// filippo.io/age/tag/internal/age-plugin-tagtest.
const TagtestRecipient = "age1tag1qwe0kafsjrar4txm6heqnhpfuggzr0gvznz7fvygxrlq90u5mq2pysxtw6h"

// Tagtest returns the identity file text and recipient of that key: the
// identity with no data, which age-plugin-tagtest unwraps with its key.
func Tagtest() (identityText, recipient string) {
	return "# public key: " + TagtestRecipient + "\n" + plugin.EncodeIdentity("tagtest", nil) + "\n", TagtestRecipient
}

// Missing returns an identity and recipient of a plugin that is never
// installed, age-plugin-envsafemissing.
func Missing() (identityText, recipient string) {
	rec := plugin.EncodeRecipient("envsafemissing", []byte("no such key"))
	return "# public key: " + rec + "\n" + plugin.EncodeIdentity("envsafemissing", []byte("no such key")) + "\n", rec
}
