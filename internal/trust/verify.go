package trust

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
)

// Verified is a roster that passed Verify: the only roster that may judge a
// writer or choose recipients. Only Verify makes one (its lookups are built
// there); its fields are read-only by convention.
type Verified struct {
	// Project is the project id, the hex SHA-256 of the genesis entry.
	Project string
	// Head is the last admin log entry: the checkpoint the caller's state
	// advances to once the command succeeds.
	Head Checkpoint
	// Roster is the verified roster; RosterHash is the hash of its signed
	// bytes, which environment signatures record.
	Roster     Roster
	RosterHash string
	// Admins are the admins of the head entry, who sign the next roster.
	Admins []Admin
	// Warnings are things the caller must tell the user although the
	// roster verified.
	Warnings []Warning

	ix *teamIndex
}

// Warning says that an admin was removed after the checkpoint this
// verification started from. A removed admin could have written another
// history from before their removal, and a reader whose checkpoint is older
// than the removal cannot tell: the pin should be re-issued.
type Warning struct {
	Index int    // the log entry that removed the admin
	Admin string // the removed admin's name as the log records it
}

// String phrases the warning with the name sanitized.
func (w Warning) String() string {
	return fmt.Sprintf("admin %s was removed (admin log entry %d) after the checkpoint this machine trusts; a fork by them would not be noticed: ask an admin for a new pin", QuoteName(w.Admin), w.Index)
}

// State is what a successful verification teaches the machine: the head
// checkpoint and the roster version, for Merge into the stored state.
func (v *Verified) State() State {
	return State{Checkpoint: v.Head, RosterVersion: v.Roster.Version}
}

// Pin is the pin for this verified roster as it stands (for `trust show`
// and the CI line printed after an admin change): the head checkpoint and
// the current roster version as the minimum.
func (v *Verified) Pin() Pin {
	return Pin{Project: v.Project, Checkpoint: v.Head, MinRoster: v.Roster.Version}
}

// Member returns the roster member called name.
func (v *Verified) Member(name string) (Member, bool) {
	m := v.ix.members[name]
	if m == nil {
		return Member{}, false
	}
	return *m, true
}

// Recipients returns the recipients of env in the verified roster, in
// roster order: every seal encrypts to exactly these, never to team.yaml.
func (v *Verified) Recipients(env string) ([]string, error) {
	e := v.ix.envs[env]
	if e == nil {
		return nil, fmt.Errorf("no environment %s in the signed roster", QuoteName(env))
	}
	out := make([]string, len(e.Members))
	for i, name := range e.Members {
		out[i] = v.ix.members[name].Recipient
	}
	return out, nil
}

// CheckWriter returns nil if name is a writer of env: listed in it, not
// read-only, with a signing key. Otherwise ErrNotWriter, with a message
// naming the reason.
func (v *Verified) CheckWriter(env, name string) error {
	e := v.ix.envs[env]
	if e == nil {
		return fmt.Errorf("%w: no environment %s in the signed roster", ErrNotWriter, QuoteName(env))
	}
	m := v.ix.members[name]
	switch {
	case m == nil:
		return fmt.Errorf("%w: %s is not a member", ErrNotWriter, QuoteName(name))
	case !slices.Contains(e.Members, name):
		return fmt.Errorf("%w: %s is not a writer of %s", ErrNotWriter, QuoteName(name), QuoteName(env))
	case m.ReadOnly:
		return fmt.Errorf("%w: %s may not write %s: read-only member", ErrNotWriter, QuoteName(name), QuoteName(env))
	case v.ix.keys[name] == nil:
		return fmt.Errorf("%w: %s may not write %s: no signing key in the roster", ErrNotWriter, QuoteName(name), QuoteName(env))
	}
	return nil
}

// signer returns the member whose signing key is pub.
func (v *Verified) signer(pub ed25519.PublicKey) (*Member, bool) {
	m := v.ix.signers[string(pub)]
	return m, m != nil
}

// Verify decides whether team.sig's roster may be trusted (TRUST.md C.5
// steps 1–7), starting from the pin (the trust root, outside the
// repository) and st (what this machine already trusted for the project):
//
//  1. parse with limits, strictly (Parse);
//  2. the project id, the genesis hash, equals the pin's;
//  3. the later of the pin's and the state's checkpoints (and the other
//     one too) is in the log, so a truncated or forked log is refused;
//  4. each log entry is signed by a threshold of the previous entry's
//     admins (the genesis by its own) and by every admin it adds;
//  5. admins removed after the checkpoint are returned as warnings;
//  6. the roster names this project and the log head, is signed by a
//     threshold of the head's admins, and its version is at least the
//     pin's minimum and the state's, so an older roster signed by a
//     still-current admin cannot come back.
//
// Every signature in the file must verify and come from a key allowed to
// sign that line: a stray signature is a sign of tampering, not noise.
// Verify does not touch st; the caller merges v.State() into it after the
// whole command succeeded.
func Verify(teamSig []byte, pin Pin, st State) (*Verified, error) {
	return VerifyKnown(teamSig, pin, st, false)
}

// VerifyKnown is Verify for a machine that already checked every signature
// of these exact bytes (sigsKnown: the caller's own keyed record says so):
// the Ed25519 checks are not repeated (they are a pure function of the
// bytes); everything else (the pin, the chain, who may sign what,
// thresholds, rollback) is.
func VerifyKnown(teamSig []byte, pin Pin, st State, sigsKnown bool) (*Verified, error) {
	if pin.IsZero() {
		return nil, fmt.Errorf("%w: this project has no trust root on this machine (envsafe trust pin PIN)", ErrNotPinned)
	}
	if err := pin.check(); err != nil {
		return nil, err
	}
	if err := st.check(); err != nil {
		return nil, err
	}
	f, err := Parse(teamSig)
	if err != nil {
		return nil, err
	}
	project := f.Log[0].Hash()
	if project != pin.Project {
		return nil, fmt.Errorf("%w: team.sig belongs to project %s, this clone is pinned to %s", ErrOtherProject, shortID(project), shortID(pin.Project))
	}

	// Checkpoints before signatures: a shorter or different history is
	// reported as what it is, even when every signature in it is good.
	k := 0
	for _, cp := range []Checkpoint{pin.Checkpoint, st.Checkpoint} {
		if cp.IsZero() {
			continue
		}
		if cp.Index >= len(f.Log) {
			return nil, fmt.Errorf("%w: the admin log has %d entries, but entry %d was already trusted (truncated team.sig)", ErrRollback, len(f.Log), cp.Index)
		}
		if f.Log[cp.Index].Hash() != cp.Hash {
			return nil, fmt.Errorf("%w: admin log entry %d is not the one trusted (team.sig was rewritten from an earlier entry)", ErrForked, cp.Index)
		}
		k = max(k, cp.Index)
	}

	var warnings []Warning
	var prev adminSet
	for i := range f.Log {
		l := &f.Log[i]
		cur, err := checkEntry(&l.Entry, i, l.Entry.Prev)
		if err != nil {
			return nil, err
		}
		where := fmt.Sprintf("admin log entry %d", i)
		if i == 0 {
			if err := checkSigs(where, l.Sigs, KindLog, l.Body, cur, nil, !sigsKnown); err != nil {
				return nil, err
			}
		} else {
			added := make(map[string]Admin)
			for key, a := range cur.byKey {
				if _, ok := prev.byKey[key]; !ok {
					added[key] = a
				}
			}
			if err := checkSigs(where, l.Sigs, KindLog, l.Body, prev, added, !sigsKnown); err != nil {
				return nil, err
			}
			if i > k {
				for key, a := range prev.byKey {
					if _, ok := cur.byKey[key]; !ok {
						warnings = append(warnings, Warning{Index: i, Admin: a.Name})
					}
				}
			}
		}
		prev = cur
	}
	slices.SortFunc(warnings, func(a, b Warning) int {
		if a.Index != b.Index {
			return a.Index - b.Index
		}
		return strings.Compare(a.Admin, b.Admin)
	})

	head := &f.Log[len(f.Log)-1]
	r := &f.Roster.Roster
	if r.Project != project {
		return nil, fmt.Errorf("%w: the roster was signed for project %s", ErrOtherProject, shortID(r.Project))
	}
	if r.LogHead != head.Hash() {
		return nil, fmt.Errorf("%w: the roster was signed under another admin log than the one in team.sig", ErrRollback)
	}
	if err := checkSigs("the roster", f.Roster.Sigs, KindRoster, f.Roster.Body, prev, nil, !sigsKnown); err != nil {
		return nil, err
	}
	if min := max(pin.MinRoster, st.RosterVersion); r.Version < min {
		return nil, fmt.Errorf("%w: roster version %d, but version %d was already trusted (an old team.sig)", ErrRollback, r.Version, min)
	}
	ix, err := indexTeam(&r.Team)
	if err != nil {
		return nil, err
	}
	return &Verified{
		Project:    project,
		Head:       Checkpoint{Index: len(f.Log) - 1, Hash: head.Hash()},
		Roster:     *r,
		RosterHash: f.Roster.Hash(),
		Admins:     slices.Clone(head.Entry.Admins),
		Warnings:   warnings,
		ix:         ix,
	}, nil
}

// checkSigs checks the signatures of one line: every one verifies and comes
// from a distinct key of signers or required; at least signers.threshold
// come from signers; every key in required signed.
func checkSigs(where string, sigs []Signature, kind Kind, body []byte, signers adminSet, required map[string]Admin, verify bool) error {
	seen := make(map[string]bool, len(sigs))
	counted := 0
	for _, s := range sigs {
		pub, err := parseKeyText(s.Key)
		if err != nil {
			return malformed("%s: signature key: %v", where, err)
		}
		if seen[string(pub)] {
			return malformed("%s: two signatures by one key", where)
		}
		seen[string(pub)] = true
		a, isSigner := signers.byKey[string(pub)]
		if !isSigner {
			a, isSigner = required[string(pub)]
			if !isSigner {
				return fmt.Errorf("%w: %s is signed by a key that is not an admin", ErrBadSignature, where)
			}
		} else {
			counted++
		}
		if !verify {
			continue // these bytes' signatures were all checked before
		}
		raw, err := base64.StdEncoding.Strict().DecodeString(s.Sig)
		if err != nil || len(raw) != ed25519.SignatureSize {
			return malformed("%s: signature by %s is not base64 of %d bytes", where, QuoteName(a.Name), ed25519.SignatureSize)
		}
		if !VerifySignature(pub, kind, body, raw) {
			return fmt.Errorf("%w: %s: the signature by admin %s does not verify", ErrBadSignature, where, QuoteName(a.Name))
		}
	}
	if counted < signers.threshold {
		return fmt.Errorf("%w: %s has %d admin signatures, %d required", ErrBadSignature, where, counted, signers.threshold)
	}
	var missing []string
	for key, a := range required {
		if !seen[key] {
			missing = append(missing, QuoteName(a.Name))
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("%w: %s adds admin %s, who did not sign it", ErrBadSignature, where, strings.Join(missing, ", "))
	}
	return nil
}

// shortID is the first 16 hex digits of a project id: enough to tell two
// projects apart in a message.
func shortID(id string) string {
	if !isHash(id) {
		return QuoteName(id) // attacker-chosen text: never raw to a terminal
	}
	return id[:16]
}
