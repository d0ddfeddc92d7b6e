package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/keychain"
	"github.com/envsafe/envsafe/internal/terminal"
)

// Plugin identities (hardware keys: AGE-PLUGIN-YUBIKEY-1...) keep their
// secret in the hardware, so nothing can derive a signing key from them.
// Their member signs with a separate random Ed25519 key, kept in the
// keychain beside the identity (account SigningAccount) and carried in an
// exported or ENVSAFE_IDENTITY text as a SigningKeyPrefix comment line.

const (
	// SigningAccount is the keychain entry of a plugin identity's
	// separate signing key (its base64 seed), under service "envsafe".
	SigningAccount = "signing"
	// SigningKeyPrefix starts the comment line that carries that seed in
	// an identity's text; age ignores comment lines.
	SigningKeyPrefix = "# envsafe-signing-key:"
)

// The errors of a hardware key's plugin, for the CLI's exit codes.
var (
	ErrPluginMissing = crypt.ErrPluginMissing
	ErrNoTerminal    = crypt.ErrNoTerminal
	ErrPluginFailed  = crypt.ErrPluginFailed
)

// IsPluginError reports a failure of an identity's or recipient's plugin.
func IsPluginError(err error) bool {
	var pe *crypt.PluginError
	return errors.As(err, &pe)
}

// SetPluginUI lets the identity's plugin show messages on stderr and, when
// tty is set, ask on the controlling terminal (never on stdin or stdout).
func (r *Resolved) SetPluginUI(stderr io.Writer, tty bool) {
	ui := crypt.PluginUI{Message: func(text string) { fmt.Fprintf(stderr, "envsafe: %s\n", text) }}
	if tty {
		ui.Ask = func(prompt string, secret bool) (string, error) {
			v, err := terminal.Ask(prompt, secret)
			if errors.Is(err, terminal.ErrNoTerminal) {
				return "", crypt.ErrNoTerminal
			}
			return v, err
		}
	}
	r.Identity.SetPluginUI(ui)
}

// signingSeed reads the seed of a `# envsafe-signing-key:` line, or nil.
func signingSeed(text string) ([]byte, error) {
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), SigningKeyPrefix); ok {
			return decodeSeed(rest)
		}
	}
	return nil, nil
}

func decodeSeed(s string) ([]byte, error) {
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(seed) != crypt.SigningSeedSize {
		return nil, errors.New("the envsafe signing key is not a base64 32-byte seed")
	}
	return seed, nil
}

// attachSigningKey gives a plugin identity the signing key its text
// carries; other identities derive theirs and ignore the line.
func attachSigningKey(id *crypt.Identity, text string) error {
	if !id.NeedsSigningKey() {
		return nil
	}
	seed, err := signingSeed(text)
	if err != nil || seed == nil {
		return err
	}
	defer clear(seed)
	return id.UseSigningKey(seed)
}

// loadSigningKey gives a plugin identity from the keychain its signing key
// from the keychain, if one is there.
func loadSigningKey(ctx context.Context, kc keychain.Keychain, id *crypt.Identity) error {
	if !id.NeedsSigningKey() {
		return nil
	}
	text, err := kc.Get(ctx, SigningAccount)
	if errors.Is(err, keychain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	seed, err := decodeSeed(text)
	if err != nil {
		return fmt.Errorf("the keychain entry %s/%s: %w", keychain.Service, SigningAccount, err)
	}
	defer clear(seed)
	return id.UseSigningKey(seed)
}

// SigningLine returns the `# envsafe-signing-key:` line of the keychain's
// signing key for a plugin identity's backup, or "" when there is none.
func SigningLine(ctx context.Context, kc keychain.Keychain, id *crypt.Identity) (string, error) {
	if !id.NeedsSigningKey() {
		return "", nil
	}
	text, err := kc.Get(ctx, SigningAccount)
	if errors.Is(err, keychain.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if _, err := decodeSeed(text); err != nil {
		return "", err
	}
	return SigningKeyPrefix + " " + strings.TrimSpace(text) + "\n", nil
}

// saveSigningKey stores a plugin identity's signing key: the one its text
// carries (a restored backup), else a new random one.
func saveSigningKey(ctx context.Context, kc keychain.Keychain, text string) error {
	seed, err := signingSeed(text)
	if err != nil {
		return err
	}
	if seed == nil {
		seed = make([]byte, crypt.SigningSeedSize)
		rand.Read(seed)
	}
	defer clear(seed)
	return kc.Set(ctx, SigningAccount, base64.StdEncoding.EncodeToString(seed))
}

// DeleteSigningKey removes a plugin identity's signing key with it.
func DeleteSigningKey(ctx context.Context, kc keychain.Keychain) error {
	err := kc.Delete(ctx, SigningAccount)
	if errors.Is(err, keychain.ErrNotFound) {
		return nil
	}
	return err
}
