package trust

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
)

// Kind says what a signature is for. It is part of every signed message, so
// a signature made for one kind never verifies as another (a roster
// signature replayed as an environment signature, say).
type Kind string

// The kinds envsafe signs (TRUST.md C.2).
const (
	KindLog    Kind = "log"    // an admin log entry in team.sig
	KindRoster Kind = "roster" // the roster line of team.sig
	KindEnv    Kind = "env"    // an environment payload
	KindJoin   Kind = "join"   // a joiner's proof of possession
)

// messageContext starts every signed message. Raw Ed25519 over it cannot be
// mistaken for SSH authentication data (which starts with a uint32 length)
// or an SSHSIG blob (which starts with "SSHSIG"), so an SSH key that also
// logs in and signs commits can sign for envsafe.
const messageContext = "envsafe-sig-v1"

func knownKind(k Kind) bool {
	switch k {
	case KindLog, KindRoster, KindEnv, KindJoin:
		return true
	}
	return false
}

// Message is the byte string actually signed for body:
// "envsafe-sig-v1" 0x00 kind 0x00 SHA-256(body). Hashing first keeps the
// message short and fixed in shape whatever the body holds.
func Message(kind Kind, body []byte) []byte {
	sum := sha256.Sum256(body)
	msg := make([]byte, 0, len(messageContext)+1+len(kind)+1+len(sum))
	msg = append(msg, messageContext...)
	msg = append(msg, 0)
	msg = append(msg, kind...)
	msg = append(msg, 0)
	return append(msg, sum[:]...)
}

// Sign signs body as kind. It refuses a kind envsafe does not define, since
// an ad-hoc kind would weaken the separation between kinds.
func Sign(key ed25519.PrivateKey, kind Kind, body []byte) ([]byte, error) {
	if !knownKind(kind) {
		return nil, fmt.Errorf("unknown signature kind %s", QuoteName(string(kind)))
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("signing key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	return ed25519.Sign(key, Message(kind, body)), nil
}

// VerifySignature reports whether sig is pub's signature of body as kind,
// over body exactly as given (never a re-encoding). It never panics on
// attacker-sized input.
func VerifySignature(pub ed25519.PublicKey, kind Kind, body, sig []byte) bool {
	if !knownKind(kind) || len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(pub, Message(kind, body), sig)
}
