// Package crypt is envsafe's only use of age: armored encryption to a set of
// recipients, decryption with an identity, and key generation and parsing.
// Keeping age behind this package means the rest of envsafe never handles
// key material directly and files stay plain age files.
package crypt

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"strings"

	"encoding/base64"
	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/plugin"
	"filippo.io/age/tag"
	"golang.org/x/crypto/ssh"
)

// ErrNoMatch reports a well-formed age file that none of the identity's keys
// can open: the holder is not one of its recipients.
var ErrNoMatch = errors.New("not encrypted to this identity")

// ErrCorrupt reports data that is not an intact armored age file: tampered,
// truncated or something else entirely.
var ErrCorrupt = errors.New("not an intact age file")

// ErrMixedPostQuantum reports an attempt to encrypt to both post-quantum and
// classic recipients, which age refuses because the classic ones would make
// the file breakable by a quantum computer.
var ErrMixedPostQuantum = errors.New("post-quantum (age1pq1...) and classic recipients cannot share an environment: " +
	"the classic keys would leave the file open to a future quantum computer")

// Recipient is a parsed public key that files can be encrypted to.
type Recipient struct {
	text        string
	r           age.Recipient
	postQuantum bool
	// plugin is set for an age1NAME1... key, whose kind (classic or
	// post-quantum) only its plugin knows: age checks its labels.
	plugin bool
}

// String returns the recipient exactly as it appears in team.yaml.
func (r Recipient) String() string { return r.text }

// PostQuantum reports whether this is an age1pq1 hybrid recipient (or an
// age1tagpq1 tagged one).
func (r Recipient) PostQuantum() bool { return r.postQuantum }

// ParseRecipient accepts age1 (X25519), age1pq1 (hybrid post-quantum),
// age1tag1 and age1tagpq1 (tagged P-256 keys of hardware identities),
// age1NAME1... (a plugin's: age1yubikey1, age1tpm1, age1se1...) and
// ssh-ed25519 / ssh-rsa public keys.
func ParseRecipient(s string) (Recipient, error) {
	s = strings.TrimSpace(s)
	var (
		r   age.Recipient
		err error
		pq  bool
	)
	switch {
	case strings.HasPrefix(s, "age1tag1"), strings.HasPrefix(s, "age1tagpq1"):
		var tr *tag.Recipient
		if tr, err = tag.ParseRecipient(s); err == nil {
			r, pq = tr, tr.Hybrid()
		}
	case strings.HasPrefix(s, "age1pq1"):
		r, err = age.ParseHybridRecipient(s)
		pq = true
	case PluginRecipient(s):
		var pr *pluginRecipient
		if pr, err = newPluginRecipient(s); err == nil {
			return Recipient{text: s, r: pr, plugin: true}, nil
		}
	case strings.HasPrefix(s, "age1"):
		r, err = age.ParseX25519Recipient(s)
	case strings.HasPrefix(s, "ssh-ed25519 "), strings.HasPrefix(s, "ssh-rsa "):
		r, err = agessh.ParseRecipient(s)
		// Drop the comment: it is not part of the key.
		if f := strings.Fields(s); err == nil && len(f) >= 2 {
			s = f[0] + " " + f[1]
		}
	default:
		return Recipient{}, fmt.Errorf("unknown recipient type %q: expected age1..., age1pq1..., a hardware key's age1tag1... or age1NAME1... (age1yubikey1...), ssh-ed25519 or ssh-rsa", abbreviate(s))
	}
	if err != nil {
		return Recipient{}, fmt.Errorf("invalid recipient %q", abbreviate(s))
	}
	return Recipient{text: s, r: r, postQuantum: pq}, nil
}

// Identity holds private keys able to decrypt files. It never exposes them.
type Identity struct {
	ids    []age.Identity
	public string
	// secret is the first key's age-keygen text, kept to derive the
	// signing key (SigningKey); sshEd25519 is an ssh-ed25519 identity's key.
	secret     string
	sshEd25519 ed25519.PrivateKey
	// plugin names the first key's plugin when it is a plugin stub;
	// signing is then its separate signing key (UseSigningKey), and ui is
	// how its plugins reach the user (SetPluginUI).
	plugin  string
	signing ed25519.PrivateKey
	ui      *PluginUI
}

// Public returns the public key of the first key, the one team.yaml lists.
func (id *Identity) Public() string { return id.public }

// ErrPluginPublicKey means a plugin identity came without the public key
// (recipient) it decrypts for, which a stub does not hold.
var ErrPluginPublicKey = errors.New("a plugin identity (AGE-PLUGIN-...) needs its recipient beside it, " +
	"as a `# public key: age1...` or `# Recipient: age1...` line (the plugin prints it with the identity)")

// ParseIdentity reads age-keygen output (one or more AGE-SECRET-KEY lines,
// # comments allowed), a plugin's identity file (AGE-PLUGIN-NAME-1... with
// its `# public key:` or `# Recipient:` comment) or an unencrypted OpenSSH
// private key. Errors never quote the input: it is a secret.
func ParseIdentity(data []byte) (*Identity, error) {
	if bytes.Contains(data, []byte("-----BEGIN")) {
		return parseSSHIdentity(data)
	}
	id := &Identity{ui: &PluginUI{}}
	var recipient string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "#"):
			if v, ok := recipientComment(line); ok && recipient == "" {
				recipient = v
			}
		case strings.HasPrefix(strings.ToUpper(line), "AGE-PLUGIN-"):
			name, _, err := plugin.ParseIdentity(line)
			if err != nil {
				return nil, errors.New("not an age identity: an AGE-PLUGIN-... line is not a valid plugin identity")
			}
			if len(id.ids) == 0 {
				id.plugin = name
			}
			id.ids = append(id.ids, &pluginIdentity{name: name, stub: line, ui: id.ui})
		default:
			ks, err := age.ParseIdentities(strings.NewReader(line))
			if err != nil {
				// age's messages can quote a character of the key: say only what was expected.
				return nil, errors.New("not an age identity: expected age-keygen output (AGE-SECRET-KEY-1... or AGE-SECRET-KEY-PQ-1... lines) or a plugin's AGE-PLUGIN-... identity")
			}
			if len(id.ids) == 0 {
				switch k := ks[0].(type) {
				case *age.X25519Identity:
					id.public, id.secret = k.Recipient().String(), k.String()
				case *age.HybridIdentity:
					id.public, id.secret = k.Recipient().String(), k.String()
				}
			}
			id.ids = append(id.ids, ks...)
		}
	}
	if len(id.ids) == 0 {
		return nil, errors.New("not an age identity: no AGE-SECRET-KEY-... or AGE-PLUGIN-... line found")
	}
	if id.plugin != "" {
		if recipient == "" {
			return nil, ErrPluginPublicKey
		}
		r, err := ParseRecipient(recipient)
		if err != nil {
			return nil, fmt.Errorf("the plugin identity's public key line: %w", err)
		}
		id.public = r.String()
	}
	return id, nil
}

// recipientComment reads the public key a comment line gives: age-keygen
// and age-plugin-se write "# public key: ...", age-plugin-yubikey and
// age-plugin-tpm "# Recipient: ...".
func recipientComment(line string) (string, bool) {
	text := strings.TrimSpace(strings.TrimPrefix(line, "#"))
	label, value, ok := strings.Cut(text, ":")
	if !ok {
		return "", false
	}
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "public key", "recipient":
		return strings.TrimSpace(value), true
	}
	return "", false
}

func parseSSHIdentity(data []byte) (*Identity, error) {
	key, err := agessh.ParseIdentity(data)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return nil, errors.New("the SSH key is protected by a passphrase; envsafe needs an unencrypted key file or an age identity")
	}
	if err != nil {
		return nil, errors.New("not an age identity or a supported SSH private key (ed25519 or rsa)")
	}
	signer, err := ssh.ParsePrivateKey(data)
	if err != nil {
		return nil, errors.New("not a supported SSH private key")
	}
	public := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
	return &Identity{ids: []age.Identity{key}, public: public, sshEd25519: ed25519Of(data), ui: &PluginUI{}}, nil
}

// Generate makes a new identity: X25519, or the hybrid post-quantum kind when
// pq is set. It returns the secret in age-keygen's text form and the public key.
func Generate(pq bool) (secret, public string, err error) {
	if pq {
		k, err := age.GenerateHybridIdentity()
		if err != nil {
			return "", "", fmt.Errorf("generating key: %w", err)
		}
		return k.String(), k.Recipient().String(), nil
	}
	k, err := age.GenerateX25519Identity()
	if err != nil {
		return "", "", fmt.Errorf("generating key: %w", err)
	}
	return k.String(), k.Recipient().String(), nil
}

// Encrypt returns plaintext as an armored age file readable by each recipient.
func Encrypt(plaintext []byte, recipients []Recipient) ([]byte, error) {
	if len(recipients) == 0 {
		return nil, errors.New("no recipients to encrypt to")
	}
	rs := make([]age.Recipient, len(recipients))
	var kind *Recipient
	for i, r := range recipients {
		if !r.plugin {
			if kind != nil && r.postQuantum != kind.postQuantum {
				return nil, ErrMixedPostQuantum
			}
			kind = &recipients[i]
		}
		rs[i] = r.r
	}
	// The binary age file, then armor in one pass (armorTo): age's armor
	// writer took a quarter of Encrypt at 10,000 secrets.
	var buf bytes.Buffer
	buf.Grow(len(plaintext) + len(plaintext)/64*16 + 512)
	w, err := age.Encrypt(&buf, rs...)
	var pe *PluginError
	switch {
	case errors.As(err, &pe):
		return nil, err
	case err != nil && strings.Contains(err.Error(), "incompatible recipients"):
		// A plugin's post-quantum key beside classic ones: age compares
		// the labels each recipient's wrapping returns.
		return nil, ErrMixedPostQuantum
	case err != nil:
		return nil, fmt.Errorf("encrypting: %w", err)
	}
	if _, err := w.Write(plaintext); err != nil {
		return nil, fmt.Errorf("encrypting: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encrypting: %w", err)
	}
	bin := buf.Bytes()
	return armorTo(make([]byte, 0, len(armorHeader)+len(armorFooter)+2+base64.StdEncoding.EncodedLen(len(bin))*65/64+1), bin), nil
}

// Decrypt opens an armored age file. It returns all of the plaintext or none:
// a file damaged anywhere fails with ErrCorrupt before any byte is released
// (age authenticates the final chunk, and so the size, first).
func Decrypt(armored []byte, id *Identity) ([]byte, error) {
	if !bytes.HasPrefix(bytes.TrimLeft(armored, " \t\r\n"), []byte(armorHeader)) {
		return nil, fmt.Errorf("%w: no age armor header", ErrCorrupt)
	}
	bin, err := dearmor(armored)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	r, size, err := age.DecryptReaderAt(bytes.NewReader(bin), int64(len(bin)), id.ids...)
	var (
		noMatch *age.NoIdentityMatchError
		pe      *PluginError
	)
	if errors.As(err, &noMatch) {
		// age skips stanzas it does not recognise (they may be for plugins),
		// so a changed type in one's own stanza would read as "not for
		// you". envsafe encrypts by itself only to the kinds below; any
		// other is a plugin's, which only the caller can expect (team.yaml
		// lists age1NAME1... keys), else the file was changed.
		if len(noMatch.StanzaTypes) == 0 {
			return nil, fmt.Errorf("%w: no recipients", ErrCorrupt)
		}
		if n := countFunc(noMatch.StanzaTypes, unknownStanza); n > 0 {
			return nil, &ForeignStanzasError{Count: n}
		}
		return nil, ErrNoMatch
	}
	if errors.As(err, &pe) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	plaintext := make([]byte, size)
	if _, err := r.ReadAt(plaintext, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return plaintext, nil
}

// unknownStanza reports a recipient stanza type that no recipient
// ParseRecipient accepts would write.
func unknownStanza(typ string) bool {
	switch typ {
	case "X25519", "mlkem768x25519", "ssh-ed25519", "ssh-rsa", "p256tag", "mlkem768p256tag":
		return false
	}
	return true
}

func countFunc(s []string, f func(string) bool) int {
	n := 0
	for _, v := range s {
		if f(v) {
			n++
		}
	}
	return n
}

// ForeignStanzasError is a file no key of the identity opens that holds
// Count recipient stanzas of kinds age cannot name: a plugin's (a YubiKey
// member's), or a stanza whose type was changed. It is ErrCorrupt unless
// the caller expects that many plugin recipients: see Expected.
type ForeignStanzasError struct{ Count int }

func (e *ForeignStanzasError) Error() string {
	return fmt.Sprintf("%v: a recipient of a kind envsafe never encrypts to", ErrCorrupt)
}

// Unwrap makes it ErrCorrupt for callers that expect no plugin.
func (e *ForeignStanzasError) Unwrap() error { return ErrCorrupt }

// Expected turns a ForeignStanzasError into ErrNoMatch when the file's
// readers include at least as many plugin recipients (PluginRecipient) as
// it has foreign stanzas, which those plugins wrote; any other error is
// returned as it is.
func Expected(err error, pluginRecipients int) error {
	var fe *ForeignStanzasError
	if errors.As(err, &fe) && fe.Count <= pluginRecipients {
		return ErrNoMatch
	}
	return err
}

// Short shortens a public key for messages: post-quantum keys are nearly
// 2,000 characters. `envsafe identity show` prints the whole key.
func Short(public string) string {
	if len(public) <= 64 {
		return public
	}
	return public[:24] + "..." + public[len(public)-8:]
}

func abbreviate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// StanzaCount counts the recipient stanzas in an armored age file's
// header: how many keys it is really encrypted to, whatever its payload
// records. (Readable without any key.)
func StanzaCount(armored []byte) (int, error) {
	bin, err := dearmor(armored)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	hdr, err := age.ExtractHeader(bytes.NewReader(bin))
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return bytes.Count(hdr, []byte("\n-> ")), nil
}
