// Package identity finds the age identity envsafe decrypts with, in the one
// documented order — ENVSAFE_IDENTITY, then ENVSAFE_IDENTITY_FILE, then the
// OS keychain — and keeps the keychain's copy. There is deliberately no
// fourth place: a key file is only ever used when the user names it.
package identity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/keychain"
)

const (
	// EnvIdentity holds secret key text, for CI and containers.
	EnvIdentity = "ENVSAFE_IDENTITY"
	// EnvIdentityFile names an age identity file (or unencrypted SSH key).
	EnvIdentityFile = "ENVSAFE_IDENTITY_FILE"
	// KeychainAccount is the keychain entry, under service "envsafe".
	KeychainAccount = "identity"
	// maxFileSize bounds an identity file; real ones are under 4 KiB.
	maxFileSize = 64 << 10
)

// ErrNoIdentity means no usable identity was found where envsafe looks.
var ErrNoIdentity = errors.New("no identity available")

// ErrExists means the keychain already holds an identity, which envsafe
// never overwrites: that would lock its owner out of every environment.
var ErrExists = errors.New("the keychain already holds an envsafe identity")

// Resolved is an identity and where it came from.
type Resolved struct {
	*crypt.Identity
	// Source says where the identity was found, for status output.
	Source string
	// TrustPin is the pin of a signed project carried in the identity's
	// text as a `# envsafe-trust: PIN` comment line (age ignores comments),
	// so that CI verifies with nothing but its identity secret; "" if none.
	TrustPin string
}

// TrustPinPrefix starts the comment line that carries a pin in an
// identity's text.
const TrustPinPrefix = "# envsafe-trust:"

// pinComment returns the pin of the first `# envsafe-trust:` line of an
// identity's text, or "".
func pinComment(text string) string {
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), TrustPinPrefix); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}

// useEnvHint is the advice for any machine without a keychain.
const useEnvHint = "without a keychain (CI, containers, servers) set ENVSAFE_IDENTITY to your secret key, " +
	"or ENVSAFE_IDENTITY_FILE to an age identity file (`envsafe identity new --file PATH` makes one)"

// Resolve returns the identity to decrypt with. lookupEnv is os.LookupEnv in
// production; tests pass their own.
func Resolve(ctx context.Context, lookupEnv func(string) (string, bool), kc keychain.Keychain) (*Resolved, error) {
	if text, ok := lookupEnv(EnvIdentity); ok {
		if strings.TrimSpace(text) == "" {
			return nil, hint.With(fmt.Errorf("%w: %s is set but empty", ErrNoIdentity, EnvIdentity),
				"in CI, check that the secret behind "+EnvIdentity+" exists and is exposed to this job; or unset it to use the keychain")
		}
		id, err := crypt.ParseIdentity([]byte(text))
		if err == nil {
			err = attachSigningKey(id, text)
		}
		if err != nil {
			return nil, hint.With(fmt.Errorf("%w: %s: %w", ErrNoIdentity, EnvIdentity, err),
				"set it to the output of `envsafe identity export` (an AGE-SECRET-KEY-... line, or a plugin's identity file)")
		}
		return &Resolved{Identity: id, Source: EnvIdentity, TrustPin: pinComment(text)}, nil
	}
	if path, ok := lookupEnv(EnvIdentityFile); ok {
		if strings.TrimSpace(path) == "" {
			return nil, hint.With(fmt.Errorf("%w: %s is set but empty", ErrNoIdentity, EnvIdentityFile),
				"set it to the path of an age identity file, or unset it to use the keychain")
		}
		id, data, err := readFile(path)
		if err == nil {
			err = attachSigningKey(id, string(data))
		}
		if err != nil {
			return nil, hint.With(fmt.Errorf("%w: %s: %w", ErrNoIdentity, EnvIdentityFile, err),
				"point it at a file made by `envsafe identity new --file` or age-keygen, or unset it")
		}
		return &Resolved{Identity: id, Source: EnvIdentityFile + " (" + path + ")", TrustPin: pinComment(string(data))}, nil
	}
	text, err := kc.Get(ctx, KeychainAccount)
	switch {
	case errors.Is(err, keychain.ErrNotFound):
		return nil, hint.With(fmt.Errorf("%w: %w (%s), and %s and %s are not set", ErrNoIdentity, err, kc.Backend(), EnvIdentity, EnvIdentityFile),
			"create one with `envsafe identity new`, or bring an age-keygen key with `envsafe identity import FILE`; "+useEnvHint)
	case errors.Is(err, keychain.ErrUnavailable):
		return nil, hint.With(fmt.Errorf("%w: %s and %s are not set and %w", ErrNoIdentity, EnvIdentity, EnvIdentityFile, err), useEnvHint)
	case err != nil:
		return nil, err
	}
	id, err := crypt.ParseIdentity([]byte(text))
	if err != nil {
		return nil, hint.With(fmt.Errorf("%w: the keychain entry %s/%s does not hold an age identity", ErrNoIdentity, keychain.Service, KeychainAccount),
			"replace it: `envsafe identity rm --yes`, then `envsafe identity import FILE` from your backup")
	}
	if err := loadSigningKey(ctx, kc, id); err != nil {
		return nil, err
	}
	return &Resolved{Identity: id, Source: "keychain (" + kc.Backend() + ")", TrustPin: pinComment(text)}, nil
}

// ReadFile loads an identity file: age-keygen output or an unencrypted
// OpenSSH private key.
func ReadFile(path string) (*crypt.Identity, error) {
	id, _, err := readFile(path)
	return id, err
}

func readFile(path string) (*crypt.Identity, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, nil, err
	}
	if len(data) > maxFileSize {
		return nil, nil, fmt.Errorf("%s is too large to be an identity file", path)
	}
	id, err := crypt.ParseIdentity(data)
	return id, data, err
}

// Normalize checks age-keygen output, or a plugin's identity file, and
// returns just its key lines, the form kept in the keychain; a plugin
// identity keeps its `# public key:` line, which the stub cannot give.
// SSH keys are refused: they belong in files.
func Normalize(text string) (string, *crypt.Identity, error) {
	var keys []string
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.HasPrefix(line, "AGE-SECRET-KEY-") && !strings.HasPrefix(strings.ToUpper(line), "AGE-PLUGIN-") {
			return "", nil, errors.New("not age-keygen output or a plugin identity: expected AGE-SECRET-KEY-... or AGE-PLUGIN-... lines (SSH keys can be used through " + EnvIdentityFile + ")")
		}
		keys = append(keys, line)
	}
	if len(keys) == 0 {
		return "", nil, errors.New("no AGE-SECRET-KEY-... or AGE-PLUGIN-... line found")
	}
	id, err := crypt.ParseIdentity([]byte(text))
	if err != nil {
		return "", nil, err
	}
	joined := strings.Join(keys, "\n")
	if id.Plugin() != "" {
		joined = "# public key: " + id.Public() + "\n" + joined
	}
	return joined, id, nil
}

// Save puts secret (age-keygen output) in the keychain unless one is there.
func Save(ctx context.Context, kc keychain.Keychain, secret string) (*crypt.Identity, error) {
	normalized, id, err := Normalize(secret)
	if err != nil {
		return nil, err
	}
	existing, err := kc.Get(ctx, KeychainAccount)
	switch {
	case err == nil:
		return nil, hint.With(fmt.Errorf("%w (%s)", ErrExists, publicOf(existing)),
			"to replace it, first back it up with `envsafe identity export -o FILE`, then `envsafe identity rm`")
	case !errors.Is(err, keychain.ErrNotFound):
		return nil, hint.With(err, useEnvHint)
	}
	if id.NeedsSigningKey() {
		// The signing key first: an identity without it in the keychain
		// would read but never sign.
		if err := saveSigningKey(ctx, kc, secret); err != nil {
			return nil, hint.With(err, useEnvHint)
		}
		if err := loadSigningKey(ctx, kc, id); err != nil {
			return nil, err
		}
	}
	if err := kc.Set(ctx, KeychainAccount, normalized); err != nil {
		return nil, hint.With(err, useEnvHint)
	}
	return id, nil
}

// FileText renders a secret in age-keygen's layout, so age -i reads it;
// note is a first comment line such as "created: 2026-11-27T10:00:00Z".
func FileText(secret, public, note string) string {
	if strings.HasPrefix(secret, "# public key: ") {
		// A plugin identity's keychain form carries its public key line.
		return "# " + note + "\n" + secret + "\n"
	}
	return "# " + note + "\n# public key: " + public + "\n" + secret + "\n"
}

func publicOf(secret string) string {
	if id, err := crypt.ParseIdentity([]byte(secret)); err == nil {
		return "public key " + id.Public()
	}
	return "an entry that is not an age identity"
}

// Short shortens a public key for messages (post-quantum keys are nearly
// 2,000 characters); commands reach keys through this package, not crypt.
func Short(public string) string { return crypt.Short(public) }

// Generate makes a new age identity, post-quantum when pq is set, and
// returns its secret and public halves.
func Generate(pq bool) (secret, public string, err error) { return crypt.Generate(pq) }

// Parse reads one identity from its secret text.
func Parse(secret string) (*crypt.Identity, error) { return crypt.ParseIdentity([]byte(secret)) }
