package store

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/team"
)

// AnyEnvironment, given to OpenFile as the environment, accepts a payload
// for whichever environment it names. It is for showing a file (git diff,
// log), never for using its secrets, where the binding to the expected
// environment is what stops a relabelled file.
const AnyEnvironment = ""

// ErrNewerFormat means the file is intact but was written by a newer
// envsafe than this one: upgrading, not restoring, is the fix.
var ErrNewerFormat = errors.New("written by a newer envsafe")

// OpenFile turns the bytes of an environment file into its payload. It is
// the only code that decrypts environment files, so every reader (the
// store, the git drivers, log) applies the same size limit and reports the
// same errors: ErrNotRecipient when the file is intact but not for id,
// ErrNewerFormat, or ErrIntegrity wrapping the cause. It never names a value.
//
// A file holds stanzas of kinds envsafe cannot name when members have
// hardware keys (age1yubikey1...): readers, when not nil, returns the
// team.yaml whose plugin keys may have written them, so that a reader who
// is not a recipient hears so rather than of damage. It is called only
// then. A plugin that is missing, fails or has no terminal to ask on is
// its own error (crypt.PluginError), not ErrIntegrity.
//
// In a signed project (sg not nil) the payload must also carry a signature
// that verifies against the roster (ErrIntegrity otherwise), and this
// machine records its sequence number.
func OpenFile(data []byte, env string, id *crypt.Identity, sg *Signed, readers func() *team.Team) (*payload.Payload, []byte, error) {
	if len(data) > MaxFileSize {
		return nil, nil, fmt.Errorf("%w: %w of %d MiB", ErrIntegrity, errTooLarge, MaxFileSize>>20)
	}
	plain, err := crypt.Decrypt(data, id)
	var (
		foreign *crypt.ForeignStanzasError
		plugin  *crypt.PluginError
	)
	if errors.As(err, &foreign) && readers != nil {
		err = crypt.Expected(err, pluginKeys(readers()))
	}
	switch {
	case errors.Is(err, crypt.ErrNoMatch):
		return nil, nil, ErrNotRecipient
	case errors.As(err, &plugin):
		return nil, nil, err
	case err != nil:
		return nil, nil, fmt.Errorf("%w: %w", ErrIntegrity, err)
	}
	var p *payload.Payload
	if env == AnyEnvironment {
		p, err = payload.DecodeAnyEnvironment(plain)
	} else {
		p, err = payload.Decode(plain, env)
	}
	switch {
	case errors.Is(err, payload.ErrNewer):
		clear(plain)
		return nil, nil, fmt.Errorf("%w (%w)", ErrNewerFormat, err)
	case err != nil:
		clear(plain)
		return nil, nil, fmt.Errorf("%w: %w", ErrIntegrity, err)
	}
	if sg != nil {
		if err := sg.verifyFile(p.Environment, p, plain, recordOf(id, "env", data)); err != nil {
			clear(plain)
			return nil, nil, err
		}
		if p.Sig != nil {
			if err := sg.used(p.Environment, p.Sig.Seq); err != nil {
				return nil, nil, err
			}
		}
	}
	return p, plain, nil
}

// SealFile encrypts p for exactly the recipients t gives env, recording
// them in the payload. When the plaintext equals previous (what the file
// held), it returns a nil file: an unchanged environment is not rewritten,
// so git sees no change. With SealFileTo, it is the only code that encrypts
// environment files.
func SealFile(t *team.Team, env string, p *payload.Payload, previous []byte) ([]byte, error) {
	if err := checkRecipients(t, env); err != nil {
		return nil, err
	}
	recipients, err := t.Recipients(env)
	if err != nil {
		return nil, err
	}
	return seal(recipients, env, p, previous)
}

// SealFileTo is SealFile for an explicit list of public keys, for the merge
// driver, whose readers come from the three merged files, not team.yaml.
func SealFileTo(keys []string, env string, p *payload.Payload) ([]byte, error) {
	recipients := make([]crypt.Recipient, 0, len(keys))
	for _, k := range keys {
		r, err := crypt.ParseRecipient(k)
		if err != nil {
			return nil, fmt.Errorf("environment %s: %w", env, err)
		}
		recipients = append(recipients, r)
	}
	return seal(recipients, env, p, nil)
}

func seal(recipients []crypt.Recipient, env string, p *payload.Payload, previous []byte) ([]byte, error) {
	p.Recipients = make([]string, len(recipients))
	for i, r := range recipients {
		p.Recipients[i] = r.String()
	}
	plain, err := p.Encode()
	if err != nil {
		return nil, err
	}
	if previous != nil && bytes.Equal(plain, previous) {
		return nil, nil
	}
	file, err := crypt.Encrypt(plain, recipients)
	if err != nil {
		return nil, fmt.Errorf("environment %s: %w", env, err)
	}
	return file, nil
}

// ReadFile reads an environment file from outside the project folder (a
// git blob, a merge side) with the same limit the store applies, so a huge
// file is refused before anything is decrypted.
func ReadFile(path string) ([]byte, error) {
	data, err := readLimited(path, MaxFileSize)
	if errors.Is(err, errTooLarge) {
		return nil, fmt.Errorf("%s: %w: %w", path, ErrIntegrity, err)
	}
	return data, err
}

// HiddenKeys reports how many more keys env's file is encrypted to than its
// payload records: someone who could read it re-encrypted it, outside
// envsafe, to an extra key. age cannot tell who a stanza is for, only count
// them.
func (s *Store) HiddenKeys(env string, recorded int) (int, error) {
	data, err := readLimited(s.EnvPath(env), MaxFileSize)
	if err != nil {
		return 0, err
	}
	n, err := crypt.StanzaCount(data)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrIntegrity, err)
	}
	return max(0, n-recorded), nil
}

// pluginKeys counts the plugin recipients (hardware keys) t lists.
func pluginKeys(t *team.Team) int {
	n := 0
	if t != nil {
		for _, m := range t.Members {
			if crypt.PluginRecipient(m.Recipient) {
				n++
			}
		}
	}
	return n
}
