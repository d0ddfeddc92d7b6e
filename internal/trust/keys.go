package trust

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// The age identity kinds a signing key can be derived from. They go into the
// HKDF info, so the same 32 bytes used as an X25519 scalar and as a hybrid
// seed give unrelated signing keys.
const (
	IdentityX25519         = "X25519"          // AGE-SECRET-KEY-1
	IdentityMLKEM768X25519 = "MLKEM768-X25519" // AGE-SECRET-KEY-PQ-1
)

// PublicKeyPrefix starts the text of an envsafe signing key. It names the
// algorithm so that a post-quantum signature can be added later without
// guessing what a key is.
const PublicKeyPrefix = "envsafe-ed25519:"

// sshEd25519 is the key type name of an OpenSSH ed25519 public key, both in
// the authorized_keys text and inside its wire-format blob.
const sshEd25519 = "ssh-ed25519"

// The HKDF salt and info prefix of the derivation (TRUST.md Q1). Changing
// either changes every member's signing key: the known-answer test guards them.
const (
	derivationSalt = "envsafe-signing-key-v1"
	derivationInfo = "envsafe/v1 ed25519 from age "
)

// DeriveSigningKey derives a member's Ed25519 signing key from the 32 raw
// secret bytes of their age identity (never its bech32 text, which is
// case-insensitive), so one secret backs up both decryption and signing.
// HKDF-SHA-256 with a fixed label makes the result independent of any other
// use of the secret. kind is IdentityX25519 or IdentityMLKEM768X25519. The
// key is meant to be derived on use and never stored.
func DeriveSigningKey(ikm []byte, kind string) (ed25519.PrivateKey, error) {
	if kind != IdentityX25519 && kind != IdentityMLKEM768X25519 {
		return nil, fmt.Errorf("no signing key derivation for identity kind %s", QuoteName(kind))
	}
	if len(ikm) != 32 {
		return nil, fmt.Errorf("identity secret is %d bytes, want 32", len(ikm))
	}
	seed, err := hkdf.Key(sha256.New, ikm, []byte(derivationSalt), derivationInfo+kind, ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("deriving signing key: %w", err)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	clear(seed)
	return priv, nil
}

// FormatPublicKey writes a public signing key as envsafe-ed25519:<base64>,
// the text team.yaml and team.sig carry.
func FormatPublicKey(pub ed25519.PublicKey) string {
	return PublicKeyPrefix + base64.StdEncoding.EncodeToString(pub)
}

// PublicKeyText is the text of the public half of priv, for writers filling
// in a signature's key or a genesis admin entry.
func PublicKeyText(priv ed25519.PrivateKey) string {
	return FormatPublicKey(priv.Public().(ed25519.PublicKey))
}

// ParsePublicKey reads a public signing key in either accepted form:
// envsafe-ed25519:<base64 of 32 bytes>, or an OpenSSH ssh-ed25519 public key
// line (ssh-ed25519 <base64 wire blob> [comment]), because an SSH member
// signs with the key that is already their recipient. Two texts name the
// same signer exactly when the returned keys are equal.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	switch {
	case strings.HasPrefix(s, PublicKeyPrefix):
		raw, err := base64.StdEncoding.Strict().DecodeString(s[len(PublicKeyPrefix):])
		if err != nil || len(raw) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("signing key %s: want %s and base64 of %d bytes", QuoteName(s), PublicKeyPrefix, ed25519.PublicKeySize)
		}
		return ed25519.PublicKey(raw), nil
	case strings.HasPrefix(s, sshEd25519+" "):
		blob, _, _ := strings.Cut(s[len(sshEd25519)+1:], " ")
		raw, err := base64.StdEncoding.Strict().DecodeString(blob)
		if err != nil {
			return nil, fmt.Errorf("ssh-ed25519 key %s: not base64", QuoteName(s))
		}
		pub, err := parseSSHEd25519(raw)
		if err != nil {
			return nil, fmt.Errorf("ssh-ed25519 key %s: %w", QuoteName(s), err)
		}
		return pub, nil
	default:
		return nil, fmt.Errorf("%s is not a signing key (want %s<base64> or %s <base64>)", QuoteName(s), PublicKeyPrefix, sshEd25519)
	}
}

// parseSSHEd25519 reads the SSH wire format of an ed25519 public key (RFC
// 8709): string "ssh-ed25519", then a 32-byte string, and nothing after. It
// is written here rather than imported so that this package needs nothing
// outside the standard library.
func parseSSHEd25519(blob []byte) (ed25519.PublicKey, error) {
	typ, rest, ok := sshString(blob)
	if !ok || !bytes.Equal(typ, []byte(sshEd25519)) {
		return nil, errors.New("wire blob is not an ssh-ed25519 key")
	}
	key, rest, ok := sshString(rest)
	if !ok || len(key) != ed25519.PublicKeySize || len(rest) != 0 {
		return nil, errors.New("wire blob does not hold one 32-byte key")
	}
	return ed25519.PublicKey(bytes.Clone(key)), nil
}

// sshString splits one SSH wire string (uint32 big-endian length, bytes)
// off the front of b.
func sshString(b []byte) (s, rest []byte, ok bool) {
	if len(b) < 4 {
		return nil, nil, false
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return nil, nil, false
	}
	return b[4 : 4+n], b[4+n:], true
}
