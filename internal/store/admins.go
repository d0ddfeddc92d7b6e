package store

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/envsafe/envsafe/internal/atomicfile"
	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/trust"
)

// PendingAdminsFile holds a proposed change of the admin set that still
// needs signatures (an added admin's own, or more current admins' under a
// threshold above one). It is committed like team.sig, so that the others
// can sign it; nothing in it counts until it is complete and applied.
const PendingAdminsFile = "team.sig.pending"

// AdminStatus is where an admin-set change stands.
type AdminStatus struct {
	// Lines describe the change for people ("admins: + 'bob' (...)").
	Lines []string
	// Missing says who still has to sign; empty once applied.
	Missing []string
	// Applied means team.sig now holds the change and a new roster version
	// signed under it.
	Applied bool
}

// ProposeAdmins starts a change of the admin set by an admin: the admins
// become names (roster members who can sign) with threshold signatures
// needed for each later change. If the caller's signature is all it needs
// (removing another admin under threshold 1) it is applied at once;
// otherwise it waits, unsigned by the caller, in PendingAdminsFile for the
// added admins' signatures (SignPendingAdmins), and an admin's last.
func (s *Store) ProposeAdmins(ctx context.Context, id *crypt.Identity, names []string, threshold int, review func([]string) error) (AdminStatus, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return AdminStatus{}, err
	}
	defer unlock()
	sg, f, err := s.adminContext()
	if err != nil {
		return AdminStatus{}, err
	}
	if !sg.IsAdmin() {
		return AdminStatus{}, hint.With(ErrNotAdmin, "only an admin changes who the admins are")
	}
	if _, err := os.Lstat(filepath.Join(s.Dir(), PendingAdminsFile)); err == nil {
		return AdminStatus{}, hint.With(fmt.Errorf("an admin change is already waiting for signatures in %s/%s", DirName, PendingAdminsFile),
			"sign it with `envsafe trust admin sign`, or delete that file to drop it")
	}
	admins := make([]trust.Admin, 0, len(names))
	for _, name := range names {
		key, ok := sg.V.SigningKeyOf(name)
		if !ok {
			return AdminStatus{}, hint.With(fmt.Errorf("%s is not a member of the signed roster with a signing key", trust.QuoteName(name)),
				"add them first with `envsafe member add NAME KEY --sign SIGNING_KEY` (they print it with `envsafe identity show --sign`)")
		}
		admins = append(admins, trust.Admin{Name: name, Key: key})
	}
	entry, err := trust.AppendLogEntry(f.Log, admins, threshold, time.Now())
	if err != nil {
		return AdminStatus{}, err
	}
	return s.advanceAdmins(sg, f, entry, review)
}

// A current admin's signature on an admin change is made only in the
// command that applies it: a signed proposal left in PendingAdminsFile (or
// in git history, after it was withdrawn) could otherwise be completed
// later by the person it adds — after they were removed, say. So the added
// admins sign the pending change first, and a current admin's signature
// comes last, with the change applied at once; until then the pending file
// holds no current admin's signature and is worth nothing to anyone.

// SignPendingAdmins adds the caller's signature to the waiting admin
// change, after review, and applies it once it has every signature it needs.
func (s *Store) SignPendingAdmins(ctx context.Context, id *crypt.Identity, review func([]string) error) (AdminStatus, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return AdminStatus{}, err
	}
	defer unlock()
	sg, f, err := s.adminContext()
	if err != nil {
		return AdminStatus{}, err
	}
	data, err := readLimited(filepath.Join(s.Dir(), PendingAdminsFile), trust.MaxTeamSigSize)
	if errors.Is(err, fs.ErrNotExist) {
		return AdminStatus{}, hint.With(errors.New("no admin change is waiting for signatures"), "an admin starts one with `envsafe trust admin add NAME` or `envsafe trust admin rm NAME`")
	}
	if err != nil {
		return AdminStatus{}, err
	}
	entry, err := trust.ParsePending(data)
	if err != nil {
		return AdminStatus{}, fmt.Errorf("%s/%s: %w: %w", DirName, PendingAdminsFile, ErrIntegrity, err)
	}
	if sg.signingKey() == nil {
		return AdminStatus{}, errors.New("you have no signing key, so you cannot sign an admin change")
	}
	// Anyone can write the pending file: every admin it names must be a
	// member of the signed roster, with the signing key the roster gives
	// them, so that a stranger's key cannot become an admin by a signature.
	for _, a := range entry.Entry.Admins {
		if key, ok := sg.V.SigningKeyOf(a.Name); !ok || key != a.Key {
			return AdminStatus{}, fmt.Errorf("%s/%s: %w: it names admin %s with a key the signed roster does not give that member", DirName, PendingAdminsFile, ErrIntegrity, trust.QuoteName(a.Name))
		}
	}
	mine := trust.FormatPublicKey(sg.key.Public().(ed25519.PublicKey))
	asked := slices.ContainsFunc(append(slices.Clone(f.Log[len(f.Log)-1].Entry.Admins), entry.Entry.Admins...), func(a trust.Admin) bool { return a.Key == mine })
	if !asked {
		return AdminStatus{}, hint.With(errors.New("the waiting admin change is not yours to sign: you are neither a current nor an added admin"), "an admin signs it with `envsafe trust admin sign`")
	}
	return s.advanceAdmins(sg, f, entry, review)
}

// adminContext is the verified signed context and its parsed team.sig.
func (s *Store) adminContext() (*Signed, *trust.File, error) {
	sg, err := s.signed()
	if err != nil {
		return nil, nil, err
	}
	if sg == nil {
		return nil, nil, hint.With(fmt.Errorf("%s has no signed roster", s.Root()), "sign it first with `envsafe trust init`")
	}
	f, err := trust.Parse(sg.raw)
	if err != nil {
		return nil, nil, err
	}
	return sg, f, nil
}

// advanceAdmins shows entry for review, then either keeps it waiting for
// the signatures it lacks or applies it: the log grows by entry, the roster
// (same content) is signed again as the next version under the new admins
// by the caller, who must be one of them, and the result is verified as
// any reader would before it is written.
func (s *Store) advanceAdmins(sg *Signed, f *trust.File, entry trust.LogLine, review func([]string) error) (AdminStatus, error) {
	head := f.Log[len(f.Log)-1].Entry
	st := AdminStatus{Lines: trust.AdminChange(head, entry.Entry)}
	mine := trust.FormatPublicKey(sg.key.Public().(ed25519.PublicKey))
	isMine := func(a trust.Admin) bool { return a.Key == mine }
	current, inNew := slices.ContainsFunc(head.Admins, isMine), slices.ContainsFunc(entry.Entry.Admins, isMine)
	before, err := trust.MissingSigners(f.Log, entry)
	if err != nil {
		return st, fmt.Errorf("%w: %w", ErrIntegrity, err)
	}
	signed := entry
	if err := signed.AddSignature(sg.key); err != nil {
		return st, err
	}
	missing, err := trust.MissingSigners(f.Log, signed)
	if err != nil {
		return st, fmt.Errorf("%w: %w", ErrIntegrity, err)
	}
	apply := len(missing) == 0 && inNew
	switch {
	case current && !apply && len(missing) > 0:
		// Not the last signature: leave it unsigned by us (see above).
		signed, st.Missing = entry, before
	case current && !apply:
		return st, hint.With(errors.New("you would leave the admins with this change, so another admin applies it"),
			"ask one of the admins who stay to run `envsafe trust admin sign`")
	case !current && len(missing) == 0 && !inNew:
		return st, errors.New("you are not asked to sign this admin change")
	case !apply:
		st.Missing = missing
	}
	if review != nil {
		if err := review(st.Lines); err != nil {
			return st, err
		}
	}
	pending := filepath.Join(s.Dir(), PendingAdminsFile)
	if !apply {
		return st, atomicfile.Write(pending, trust.EncodePending(signed), 0o644)
	}
	entry = signed
	log := append(slices.Clone(f.Log), entry)
	r := sg.V.Roster
	roster, err := trust.SignRoster(log, trust.Roster{Version: r.Version + 1, Team: r.Team, Floors: r.Floors, UnsignedOK: r.UnsignedOK}, time.Now(), sg.key)
	if err != nil {
		return st, err
	}
	data, err := trust.Encode(&trust.File{Log: log, Roster: roster})
	if err != nil {
		return st, err
	}
	v, err := trust.Verify(data, sg.V.Pin(), sg.state)
	if err != nil {
		return st, fmt.Errorf("the admin change does not verify: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(s.Dir(), TeamSigFile), data, 0o644); err != nil {
		return st, err
	}
	if err := os.Remove(pending); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return st, err
	}
	if _, err := sg.states.Raise(v.Project, v.State()); err != nil {
		return st, err
	}
	// team.yaml shows the admins: keep it in step, comments and all.
	if t, err := s.Team(); err == nil {
		t.Admins = adminNames(entry.Entry.Admins)
		if out, err := t.Marshal(); err == nil {
			if err := atomicfile.Write(filepath.Join(s.Dir(), TeamFile), out, 0o644); err != nil {
				return st, err
			}
		}
	}
	s.sg = nil // the next read verifies the new team.sig
	st.Applied = true
	return st, nil
}
