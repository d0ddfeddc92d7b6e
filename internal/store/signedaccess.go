package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/envsafe/envsafe/internal/atomicfile"
	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/team"
	"github.com/envsafe/envsafe/internal/trust"
)

// ErrProposal means a change of who reads what in a signed project was
// written to team.yaml only: the caller is not an admin, so it waits for
// one to sign it (`envsafe trust apply`).
var ErrProposal = errors.New("written as a proposal")

// ErrNotAdmin means the caller may not sign the roster.
var ErrNotAdmin = errors.New("not an admin of the signed roster")

// InitTrust makes an unsigned project signed, with the caller as its one
// admin: the genesis of the admin log, roster version 1 from team.yaml (the
// caller's signing key added), and every environment the caller can read
// signed as sequence 1. The others are listed as still allowed unsigned
// until a writer adopts them. It returns the pin members and CI need.
func (s *Store) InitTrust(ctx context.Context, id *crypt.Identity, states StateDir, created time.Time) (trust.Pin, []string, []string, error) {
	if s.IsSigned() {
		return trust.Pin{}, nil, nil, fmt.Errorf("%s is already signed", s.Root())
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return trust.Pin{}, nil, nil, err
	}
	defer unlock()
	t, err := s.Team()
	if err != nil {
		return trust.Pin{}, nil, nil, err
	}
	me, ok := t.MemberByRecipient(id.Public())
	if !ok {
		return trust.Pin{}, nil, nil, hint.With(fmt.Errorf("%w: you are not a member of team.yaml", ErrNotAdmin), "a member signs the project: the first admin")
	}
	key, err := id.SigningKey()
	if err != nil {
		return trust.Pin{}, nil, nil, hint.With(err, "sign with an age (X25519 or post-quantum) or ssh-ed25519 identity")
	}
	m, _ := t.Member(me)
	if m.Sign == "" {
		if pub, err := trust.ParsePublicKey(m.Recipient); err != nil || !pub.Equal(key.Public()) {
			m.Sign = trust.PublicKeyText(key)
		}
	}
	m.ReadOnly = false
	t.Admins = []string{me}
	var readable, unsigned []string
	payloads := map[string]*payload.Payload{}
	for _, env := range t.EnvNames() {
		p, plain, err := s.read(env, id, t)
		switch {
		case errors.Is(err, ErrNotRecipient):
			unsigned = append(unsigned, env)
			continue
		case err != nil:
			return trust.Pin{}, nil, nil, err
		case plain == nil:
			p = payload.New(env)
		}
		p.Sig = nil
		payloads[env], readable = p, append(readable, env)
	}
	genesis, err := trust.NewGenesis(me, key, created)
	if err != nil {
		return trust.Pin{}, nil, nil, err
	}
	floors := map[string]uint64{}
	for _, env := range readable {
		floors[env] = 1
	}
	log := []trust.LogLine{genesis}
	roster, err := trust.SignRoster(log, trust.Roster{Version: 1, Team: t.Roster(), Floors: floors, UnsignedOK: unsigned}, created, key)
	if err != nil {
		return trust.Pin{}, nil, nil, err
	}
	sig, err := trust.Encode(&trust.File{Log: log, Roster: roster})
	if err != nil {
		return trust.Pin{}, nil, nil, err
	}
	pin := trust.Pin{Project: genesis.Hash(), Checkpoint: trust.Checkpoint{Index: 0, Hash: genesis.Hash()}, MinRoster: 1}
	v, err := trust.Verify(sig, pin, trust.State{})
	if err != nil {
		return trust.Pin{}, nil, nil, err
	}
	st, err := states.Load(pin.Project)
	if err != nil {
		return trust.Pin{}, nil, nil, err
	}
	if st, err = trust.Merge(st, v.State()); err != nil {
		return trust.Pin{}, nil, nil, err
	}
	sg := &Signed{V: v, me: me, key: key, state: st, states: states, raw: sig}
	files := map[string][]byte{}
	for _, env := range readable {
		if files[env], err = sg.seal(env, payloads[env], 0); err != nil {
			return trust.Pin{}, nil, nil, err
		}
	}
	data, err := t.Marshal()
	if err != nil {
		return trust.Pin{}, nil, nil, err
	}
	if err := atomicfile.Write(filepath.Join(s.Dir(), TeamSigFile), sig, 0o644); err != nil {
		return trust.Pin{}, nil, nil, err
	}
	if err := atomicfile.Write(filepath.Join(s.Dir(), TeamFile), data, 0o644); err != nil {
		return trust.Pin{}, nil, nil, err
	}
	for _, env := range readable {
		if err := atomicfile.Write(s.EnvPath(env), files[env], 0o644); err != nil {
			return trust.Pin{}, nil, nil, err
		}
	}
	if err := sg.Commit(); err != nil {
		return trust.Pin{}, nil, nil, err
	}
	s.sg = sg
	return pin, readable, unsigned, nil
}

// changeSigned is ChangeAccess in a signed project. Readers and writers
// come from the verified roster, never from team.yaml. A change of team.yaml
// by an admin becomes the next roster version, signed, with the floors of
// the environments written raised (so a fresh CI refuses their older
// versions); by anyone else it is written to team.yaml only, as a proposal
// (ErrProposal). Environments are verified before anything is written.
func (s *Store) changeSigned(sg *Signed, t *team.Team, id *crypt.Identity, a Access, data []byte) (*team.Team, []string, error) {
	if !a.SignProposal && sg.IsAdmin() {
		before, err := s.Team()
		if err != nil {
			return nil, nil, err
		}
		if diff := before.Diff(sg.V.Roster.Team); len(diff) > 0 {
			if a.Change != nil {
				// An admin's change would sign, with it, a proposal nobody
				// was shown: settle the proposal first.
				return nil, nil, hint.With(fmt.Errorf("team.yaml has changes no admin signed yet (%s)", strings.Join(diff, "; ")),
					"review and sign them with `envsafe trust apply`, or drop them with `git checkout -- "+DirName+"/"+TeamFile+"`, then run this again")
			}
			// sync, rotate: start from the signed roster, leave the
			// proposal in team.yaml untouched.
			if t, err = team.FromRoster(sg.V.Roster.Team); err != nil {
				return nil, nil, err
			}
			t.Admins = adminNames(sg.V.Admins)
		}
	}
	var envs []string
	if a.Reencrypt != nil {
		envs = a.Reencrypt(t)
	}
	rosterChanged := !t.SameAs(sg.V.Roster.Team)
	if rosterChanged && !sg.IsAdmin() {
		if a.Change == nil {
			return nil, nil, hint.With(fmt.Errorf("%w: team.yaml differs from the signed roster, and only an admin can sign it", ErrNotAdmin), "ask an admin to review and run `envsafe trust apply`")
		}
		if err := atomicfile.Write(filepath.Join(s.Dir(), TeamFile), data, 0o644); err != nil {
			return nil, nil, err
		}
		return t, nil, hint.With(ErrProposal, "an admin reviews it (`envsafe status` shows it) and signs it with `envsafe trust apply`")
	}
	payloads := make([]*payload.Payload, len(envs))
	seqs := make([]uint64, len(envs))
	fresh := make([]bool, len(envs)) // no file yet
	for i, env := range envs {
		p, plain, err := s.read(env, id, t)
		if err != nil {
			return nil, nil, err
		}
		if plain == nil {
			p, fresh[i] = payload.New(env), true
		}
		payloads[i] = p
		if p.Sig != nil {
			seqs[i] = p.Sig.Seq
		}
	}
	next := sg
	var sigFile []byte
	// Floors rise with an admin's signature; a writer's re-encryption (sync,
	// rotate) leaves the roster as it is.
	if rosterChanged || (len(envs) > 0 && sg.IsAdmin()) {
		floors := maps.Clone(sg.V.Roster.Floors)
		if floors == nil {
			floors = map[string]uint64{}
		}
		for i, env := range envs {
			seq, err := trust.NextSeq(sg.V, sg.state, env, seqs[i])
			if err != nil {
				return nil, nil, err
			}
			floors[env] = seq
		}
		var err error
		if sigFile, next, err = sg.nextRoster(t, floors); err != nil {
			return nil, nil, err
		}
	}
	changes := make([]RecipientChange, len(envs))
	for i, env := range envs {
		readers, err := next.V.Recipients(env)
		if err != nil {
			return nil, nil, err
		}
		changes[i] = keysChange(t, sg.V.Roster.Team, env, payloads[i].Recipients, readers)
	}
	if a.Review != nil {
		if err := a.Review(changes); err != nil {
			return nil, nil, err
		}
	}
	markLostReaders(payloads, changes)
	files := make([][]byte, len(envs))
	for i, env := range envs {
		if fresh[i] && next.V.CheckWriter(env, next.me) != nil {
			// A new environment whose writers do not include the admin
			// creating it: its first file is a writer's (`envsafe sync`).
			continue
		}
		var err error
		if files[i], err = next.seal(env, payloads[i], seqs[i]); err != nil {
			return nil, nil, err
		}
	}

	if sigFile != nil {
		if err := atomicfile.Write(filepath.Join(s.Dir(), TeamSigFile), sigFile, 0o644); err != nil {
			return nil, nil, err
		}
	}
	if rosterChanged {
		if err := atomicfile.Write(filepath.Join(s.Dir(), TeamFile), data, 0o644); err != nil {
			return nil, nil, err
		}
	}
	var done []string
	for i, env := range envs {
		if files[i] == nil {
			continue
		}
		if err := atomicfile.Write(s.EnvPath(env), files[i], 0o644); err != nil {
			return t, done, err
		}
		done = append(done, env)
	}
	if err := next.Commit(); err != nil {
		return t, done, err
	}
	s.sg = next
	return t, done, nil
}

// IsAdmin reports whether the caller's signing key is an admin's in the
// head of the verified admin log.
func (sg *Signed) IsAdmin() bool {
	if sg.signingKey() == nil {
		return false
	}
	for _, a := range sg.V.Admins {
		if pub, err := trust.ParsePublicKey(a.Key); err == nil && pub.Equal(sg.key.Public()) {
			return true
		}
	}
	return false
}

// nextRoster signs t as the next roster version with floors, under the
// current admin log, and verifies the result as any reader would.
func (sg *Signed) nextRoster(t *team.Team, floors map[string]uint64) ([]byte, *Signed, error) {
	return sg.nextRosterWithout(t, floors, "")
}

// nextRosterWithout is nextRoster that also drops adopted from the
// environments still allowed unsigned.
func (sg *Signed) nextRosterWithout(t *team.Team, floors map[string]uint64, adopted string) ([]byte, *Signed, error) {
	if !sg.IsAdmin() {
		return nil, nil, hint.With(ErrNotAdmin, "ask an admin to make this change")
	}
	if !slices.Equal(adminNames(sg.V.Admins), t.Admins) && len(t.Admins) > 0 {
		return nil, nil, hint.With(fmt.Errorf("team.yaml's admins differ from the admin log (%v)", adminNames(sg.V.Admins)),
			"change admins with `envsafe trust admin add NAME` or `envsafe trust admin rm NAME`, and keep team.yaml's admins: line as it is")
	}
	f, err := trust.Parse(sg.raw)
	if err != nil {
		return nil, nil, err
	}
	var unsigned []string
	for _, env := range sg.V.Roster.UnsignedOK {
		if _, ok := t.Env(env); ok && env != adopted {
			unsigned = append(unsigned, env)
		}
	}
	for env := range floors {
		if _, ok := t.Env(env); !ok {
			delete(floors, env)
		}
	}
	line, err := trust.SignRoster(f.Log, trust.Roster{Version: sg.V.Roster.Version + 1, Team: t.Roster(), Floors: floors, UnsignedOK: unsigned}, time.Now(), sg.key)
	if err != nil {
		return nil, nil, err
	}
	data, err := trust.Encode(&trust.File{Log: f.Log, Roster: line})
	if err != nil {
		return nil, nil, err
	}
	v, err := trust.Verify(data, sg.V.Pin(), sg.state)
	if err != nil {
		return nil, nil, err
	}
	// The machine's state learns the new version only once it is written
	// (changeSigned): a cancelled change must not make the current roster
	// read as a rollback.
	st, err := trust.Merge(sg.state, v.State())
	if err != nil {
		return nil, nil, err
	}
	return data, &Signed{V: v, me: sg.me, key: sg.key, id: sg.id, state: st, states: sg.states, raw: data}, nil
}

func adminNames(admins []trust.Admin) []string {
	names := make([]string, len(admins))
	for i, a := range admins {
		names[i] = a.Name
	}
	return names
}

// keysChange names, by member (in team.yaml, else in the roster before the
// change), how readers differ from the keys a file records.
func keysChange(t *team.Team, before trust.Team, env string, fileKeys, readers []string) RecipientChange {
	c := RecipientChange{Env: env}
	earlier, _ := team.FromRoster(before)
	name := func(k string) string { return team.NameOf(k, t, earlier) }
	for _, k := range readers {
		if !slices.Contains(fileKeys, k) {
			c.Gained = append(c.Gained, name(k))
		}
	}
	for _, k := range fileKeys {
		if !slices.Contains(readers, k) {
			c.Lost = append(c.Lost, name(k))
		}
	}
	return c
}

// Adopt signs, as the caller, the current content of an environment the
// roster still allows unsigned (one the first admin could not read at
// trust init): the caller vouches for it. An admin also signs the next
// roster version without the allowance, so no reader accepts the
// environment unsigned again; for anyone else an admin does that later. It
// reports whether the roster changed.
func (s *Store) Adopt(ctx context.Context, env string, id *crypt.Identity) (bool, error) {
	unlock, _, p, _, err := s.lockedRead(ctx, env, id)
	if err != nil {
		return false, err
	}
	defer unlock()
	sg, err := s.signed()
	if err != nil {
		return false, err
	}
	if sg == nil {
		return false, fmt.Errorf("%s is not signed", s.Root())
	}
	if p.Sig != nil {
		return false, fmt.Errorf("%s is already signed (by %s)", env, trust.QuoteName(p.Sig.Writer))
	}
	file, err := sg.seal(env, p, 0)
	if err != nil {
		return false, err
	}
	if !sg.IsAdmin() {
		if err := atomicfile.Write(s.EnvPath(env), file, 0o644); err != nil {
			return false, err
		}
		return false, sg.Commit()
	}
	signed, err := team.FromRoster(sg.V.Roster.Team)
	if err != nil {
		return false, err
	}
	signed.Admins = adminNames(sg.V.Admins)
	floors := maps.Clone(sg.V.Roster.Floors)
	if floors == nil {
		floors = map[string]uint64{}
	}
	floors[env] = p.Sig.Seq
	sigFile, next, err := sg.nextRosterWithout(signed, floors, env)
	if err != nil {
		return false, err
	}
	if err := atomicfile.Write(filepath.Join(s.Dir(), TeamSigFile), sigFile, 0o644); err != nil {
		return false, err
	}
	if err := atomicfile.Write(s.EnvPath(env), file, 0o644); err != nil {
		return false, err
	}
	next.pending = sg.pending
	if err := next.Commit(); err != nil {
		return false, err
	}
	s.sg = next
	return true, nil
}
