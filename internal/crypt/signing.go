package crypt

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"github.com/envsafe/envsafe/internal/trust"
	"golang.org/x/crypto/ssh"
)

// ErrCannotSign means the identity has no secret a signing key can come
// from (an identity type envsafe cannot derive one for).
var ErrCannotSign = errors.New("this identity cannot sign")

// SigningKey returns the Ed25519 key this identity signs environment files
// with: derived from the age secret (see trust.DeriveSigningKey), the SSH
// key itself for an ssh-ed25519 identity, or, for a plugin identity (whose
// secret never leaves its hardware), the separate key UseSigningKey gave.
// A derived key is derived on each use and never stored, so the identity
// stays the one secret to keep.
func (id *Identity) SigningKey() (ed25519.PrivateKey, error) {
	switch {
	case id.sshEd25519 != nil:
		return id.sshEd25519, nil
	case id.signing != nil:
		return id.signing, nil
	case id.plugin != "":
		return nil, fmt.Errorf("%w: a plugin identity has no signing key of its own, and none is stored beside it", ErrCannotSign)
	case id.secret == "":
		return nil, ErrCannotSign
	}
	hrp, data, err := bech32Decode(id.secret)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCannotSign, err)
	}
	kind := trust.IdentityX25519
	if hrp == "age-secret-key-pq-" {
		kind = trust.IdentityMLKEM768X25519
	}
	defer clear(data)
	return trust.DeriveSigningKey(data, kind)
}

// bech32Decode decodes age's bech32 (BIP 173 without the 90-character
// limit) into its human-readable part, lower-cased, and 8-bit data.
func bech32Decode(s string) (string, []byte, error) {
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	lower := strings.ToLower(s)
	if lower != s && strings.ToUpper(s) != s {
		return "", nil, errors.New("mixed case")
	}
	pos := strings.LastIndexByte(lower, '1')
	if pos < 1 || pos+7 > len(lower) {
		return "", nil, errors.New("malformed bech32")
	}
	hrp := lower[:pos]
	var values []byte
	for _, c := range lower[pos+1:] {
		i := strings.IndexRune(charset, c)
		if i < 0 {
			return "", nil, errors.New("invalid bech32 character")
		}
		values = append(values, byte(i))
	}
	if polymod(append(hrpExpand(hrp), values...)) != 1 {
		return "", nil, errors.New("invalid bech32 checksum")
	}
	values = values[:len(values)-6]
	// 5-bit groups to bytes; leftover bits must be zero padding.
	var out []byte
	acc, bits := uint32(0), uint(0)
	for _, v := range values {
		acc = acc<<5 | uint32(v)
		bits += 5
		for bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	if bits >= 5 || acc&(1<<bits-1) != 0 {
		return "", nil, errors.New("invalid bech32 padding")
	}
	return hrp, out, nil
}

func hrpExpand(hrp string) []byte {
	out := make([]byte, 0, 2*len(hrp)+1)
	for _, c := range []byte(hrp) {
		out = append(out, c>>5)
	}
	out = append(out, 0)
	for _, c := range []byte(hrp) {
		out = append(out, c&31)
	}
	return out
}

func polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := range 5 {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

// ed25519Of returns the Ed25519 key of an OpenSSH private key file, or
// nil for other kinds.
func ed25519Of(data []byte) ed25519.PrivateKey {
	raw, err := ssh.ParseRawPrivateKey(data)
	if err != nil {
		return nil
	}
	if k, ok := raw.(*ed25519.PrivateKey); ok {
		return *k
	}
	return nil
}

// SigningSeedSize is the size of a separate signing key's seed.
const SigningSeedSize = ed25519.SeedSize

// NeedsSigningKey reports an identity that cannot derive a signing key
// from its secret (a plugin stub): it signs with a separate random key
// kept beside it.
func (id *Identity) NeedsSigningKey() bool { return id.plugin != "" }

// UseSigningKey gives a plugin identity its separate signing key, from
// the 32-byte seed kept beside it (the keychain's signing entry, or the
// `# envsafe-signing-key:` line of an exported identity). Identities that
// derive their key refuse one: two signing keys for one member would be
// one too many.
func (id *Identity) UseSigningKey(seed []byte) error {
	if !id.NeedsSigningKey() {
		return errors.New("this identity derives its signing key and takes no other")
	}
	if len(seed) != ed25519.SeedSize {
		return fmt.Errorf("a signing key seed is %d bytes", ed25519.SeedSize)
	}
	id.signing = ed25519.NewKeyFromSeed(seed)
	return nil
}

// RecordKey returns a key for this machine's own records about the files
// this identity opened (whose signatures it checked), derived from the
// identity's secret with no public-key operation, since every signed run
// uses it; nil when the identity holds no secret here (a plugin stub
// without its stored signing key).
func (id *Identity) RecordKey() []byte {
	var secret []byte
	switch {
	case id.sshEd25519 != nil:
		secret = id.sshEd25519.Seed()
	case id.signing != nil:
		secret = id.signing.Seed()
	case id.secret != "":
		secret = []byte(id.secret)
	default:
		return nil
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("envsafe: this machine's records, v1"))
	return m.Sum(nil)
}
