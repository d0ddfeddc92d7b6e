package trust

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"math"
)

// Sig is the signature block of an environment payload (format 2), inside
// the encryption so that `age -d` still shows it. Everything but Sig.Sig is
// itself signed: the payload is signed with Sig.Sig blanked.
type Sig struct {
	// Project binds the file to one project, so a member of two projects
	// cannot have a file replayed from one into the other.
	Project string `json:"project"`
	// Seq is the environment's sequence number, a Lamport clock that only
	// rises, so an older file can be refused.
	Seq uint64 `json:"seq"`
	// Roster is the hash of the roster the writer saw. It is for display
	// only: the current verified roster judges the writer, else a removed
	// writer could forge forever by naming an old roster.
	Roster string `json:"roster"`
	// Writer is the member the signature claims to come from; Key is their
	// signing key as the roster lists it.
	Writer string `json:"writer"`
	Key    string `json:"key"`
	// Sig is the base64 Ed25519 signature of the payload with Sig blank.
	Sig string `json:"sig"`
}

// NextSeq is the sequence number of the next write of env:
// max(the current file's, the highest this machine used, the roster's floor) + 1,
// so a write never goes below anything a reader has accepted.
func NextSeq(v *Verified, st State, env string, fileSeq uint64) (uint64, error) {
	seq := max(fileSeq, st.Envs[env].Seq, v.Roster.Floors[env])
	if seq == math.MaxUint64 {
		return 0, malformed("sequence number of %s is at its maximum", QuoteName(env))
	}
	return seq + 1, nil
}

// NewEnvSig fills in the signature block for a write of env by writer
// (every field but Sig, which SignEnv computes over the payload encoded with
// this block). It refuses unless writer is a writer of env in the verified
// roster and key is the signing key the roster lists for them, so a write
// is never signed in a way readers refuse. fileSeq is the sequence of the
// file the write starts from (0 for a new environment), which the caller
// has verified with VerifyEnv first: never re-sign a forgery.
func NewEnvSig(v *Verified, st State, env, writer string, key ed25519.PrivateKey, fileSeq uint64) (Sig, error) {
	if err := v.CheckWriter(env, writer); err != nil {
		return Sig{}, err
	}
	if len(key) != ed25519.PrivateKeySize {
		return Sig{}, fmt.Errorf("signing key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	if !v.ix.keys[writer].Equal(key.Public()) {
		return Sig{}, fmt.Errorf("%w: this signing key is not the one the roster lists for %s", ErrNotWriter, QuoteName(writer))
	}
	seq, err := NextSeq(v, st, env, fileSeq)
	if err != nil {
		return Sig{}, err
	}
	m := v.ix.members[writer]
	keyText := m.Sign
	if keyText == "" {
		keyText = m.Recipient // an ssh-ed25519 member signs with their recipient key
	}
	return Sig{Project: v.Project, Seq: seq, Roster: v.RosterHash, Writer: writer, Key: keyText}, nil
}

// SignEnv signs the canonical payload body (encoded by the caller with the
// signature block filled in and its sig field empty) and returns the value
// for that sig field.
func SignEnv(key ed25519.PrivateKey, body []byte) (string, error) {
	sig, err := Sign(key, KindEnv, body)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// VerifyEnv decides whether an environment file of env may be used (TRUST.md
// C.6 steps 4 and 5). s is the signature block the caller parsed from the
// payload, and body the canonical payload re-encoded from what was parsed,
// with s.Sig blanked: the signature is checked over what will be used.
//
// It checks, in order: the project; that s.Key is the signing key of a
// member of the current verified roster and that member is s.Writer; the
// Ed25519 signature; that the member is a writer of env (only then is a
// name printed as the signer, since only then did that member sign); that
// s.Seq is at least the roster's floor and the sequence this machine
// already used. An equal sequence with other content is accepted: two
// branches from one base. The caller then raises the state with
// st.Raise(env, s.Seq).
func VerifyEnv(v *Verified, st State, env string, s Sig, body []byte) error {
	return verifyEnv(v, st, env, s, body, true)
}

// VerifyEnvKnown is VerifyEnv for a payload whose exact bytes this machine
// already verified (a cache in its own trust state): the Ed25519 check is
// not repeated, every other one (project, writer of env in the current
// roster, floors, rollback) is. body may be nil.
func VerifyEnvKnown(v *Verified, st State, env string, s Sig) error {
	return verifyEnv(v, st, env, s, nil, false)
}

func verifyEnv(v *Verified, st State, env string, s Sig, body []byte, checkSig bool) error {
	if s.Project != v.Project {
		return fmt.Errorf("%w: %s was signed for project %s, this is %s", ErrOtherProject, QuoteName(env), shortID(s.Project), shortID(v.Project))
	}
	pub, err := parseKeyText(s.Key)
	if err != nil {
		return fmt.Errorf("%w: %s claims to be %s; its key is not a signing key", ErrBadSignature, QuoteName(env), QuoteName(s.Writer))
	}
	m, ok := v.signer(pub)
	if !ok {
		return fmt.Errorf("%w: %s claims to be %s; that key is not in the roster", ErrBadSignature, QuoteName(env), QuoteName(s.Writer))
	}
	if m.Name != s.Writer {
		return fmt.Errorf("%w: %s is signed as %s, but the key belongs to %s", ErrBadSignature, QuoteName(env), QuoteName(s.Writer), QuoteName(m.Name))
	}
	if checkSig {
		raw, err := base64.StdEncoding.Strict().DecodeString(s.Sig)
		if err != nil || !VerifySignature(pub, KindEnv, body, raw) {
			return fmt.Errorf("%w: %s claims to be %s; the signature does not verify", ErrBadSignature, QuoteName(env), QuoteName(s.Writer))
		}
	}
	if err := v.CheckWriter(env, m.Name); err != nil {
		return err
	}
	if !isHash(s.Roster) {
		return malformed("%s: signature roster hash is not hex SHA-256", QuoteName(env))
	}
	if s.Seq < 1 {
		return malformed("%s: sequence number 0", QuoteName(env))
	}
	floor, used := v.Roster.Floors[env], st.Envs[env].Seq
	if s.Seq < max(floor, used) {
		what := fmt.Sprintf("one this machine used (%d)", used)
		if floor > used {
			what = fmt.Sprintf("the roster's floor (%d)", floor)
		}
		return fmt.Errorf("%w: %s (seq %d) is older than %s; pull or merge the newer version", ErrRollback, QuoteName(env), s.Seq, what)
	}
	return nil
}
