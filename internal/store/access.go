package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/envsafe/envsafe/internal/atomicfile"
	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/team"
)

// Access describes a change of who may read what: a new team.yaml (nil to
// keep it) and the environments to re-encrypt to it.
type Access struct {
	// Change edits team.yaml; it runs on a fresh copy read under the lock.
	Change func(t *team.Team) error
	// Reencrypt lists environments to write again, encrypted to the
	// recipients the (changed) team.yaml gives them, with a fresh file key.
	Reencrypt func(t *team.Team) []string
	// Review is shown every environment's change of readers, computed from
	// the files themselves, before anything is written; an error stops the
	// whole change. Without Review, a change that gives anyone access is
	// refused (ErrUnreviewedGrant): only commands that show the change and
	// ask (member add, member rm, sync) may grant.
	Review func([]RecipientChange) error
	// SignProposal, in a signed project, lets an admin's change sign
	// team.yaml's pending proposal as the next roster (trust apply). Any
	// other change starts from the signed roster, so that sync or rotate
	// never sign a proposal nobody was shown.
	SignProposal bool
	// Progress, if set, hears each environment as it is decrypted
	// ("reading") and as it is written again ("writing"), with how many
	// of total are done. The signed path (changeSigned) does not call it.
	Progress func(step, env string, done, total int)
}

// ChangeAccess applies a team change and re-encrypts environments under the
// project lock. Every environment is decrypted before anything is written,
// so a missing permission (ErrNotRecipient) or a damaged file changes
// nothing; only then team.yaml and the environment files are replaced. A
// crash between those writes leaves files that `sync` completes.
func (s *Store) ChangeAccess(ctx context.Context, id *crypt.Identity, a Access) (*team.Team, []string, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	t, err := s.Team()
	if err != nil {
		return nil, nil, err
	}
	before := t.Clone()
	if a.Change != nil {
		if err := a.Change(t); err != nil {
			return nil, nil, err
		}
	}
	data, err := t.Marshal()
	if err != nil {
		return nil, nil, err
	}
	sg, err := s.signed()
	if err != nil {
		return nil, nil, err
	}
	if sg != nil {
		return s.changeSigned(sg, t, id, a, data)
	}
	var envs []string
	if a.Reencrypt != nil {
		envs = a.Reencrypt(t)
	}
	payloads := make([]*payload.Payload, len(envs))
	changes := make([]RecipientChange, len(envs))
	for i, env := range envs {
		if _, ok := t.Env(env); !ok {
			return nil, nil, fmt.Errorf("%w %q", ErrNoEnvironment, env)
		}
		if err := checkRecipients(t, env); err != nil {
			return nil, nil, err
		}
		if a.Progress != nil {
			a.Progress("reading", env, i, len(envs))
		}
		var plain []byte
		if payloads[i], plain, err = s.read(env, id, t); err != nil {
			return nil, nil, err
		}
		_, existed := before.Env(env)
		changes[i] = recipientChange(t, before, nil, env, payloads[i].Recipients, plain == nil)
		if !changes[i].Empty() {
			changes[i] = recipientChange(t, before, s.committed(env), env, payloads[i].Recipients, plain == nil)
		}
		// A new environment's first readers are what the command that
		// created it (env add) named; anything else needs a review.
		if a.Review == nil && changes[i].Widens() && existed {
			return nil, nil, s.refuseGrant(changes[i])
		}
	}
	if a.Review != nil {
		if err := a.Review(changes); err != nil {
			return nil, nil, err
		}
	}
	markLostReaders(payloads, changes)
	if a.Change != nil {
		if err := atomicfile.Write(filepath.Join(s.Dir(), TeamFile), data, 0o644); err != nil {
			return nil, nil, err
		}
	}
	for i, env := range envs {
		if a.Progress != nil {
			a.Progress("writing", env, i, len(envs))
		}
		if _, err := s.write(t, env, payloads[i], nil); err != nil {
			return t, envs[:i], err
		}
	}
	return t, envs, nil
}

// checkRecipients explains, before any write, why age would refuse an
// environment's recipients.
func checkRecipients(t *team.Team, env string) error {
	rs, err := t.Recipients(env)
	if err != nil {
		return hint.With(err, "add members to it in "+DirName+"/"+TeamFile)
	}
	var pq, classic []string
	for _, r := range rs {
		name, _ := t.MemberByRecipient(r.String())
		if err := r.Installed(); err != nil {
			return fmt.Errorf("environment %s: member %s: %w", env, name, err)
		}
		if r.PostQuantum() {
			pq = append(pq, name)
		} else {
			classic = append(classic, name)
		}
	}
	if len(pq) > 0 && len(classic) > 0 {
		return hint.With(fmt.Errorf("environment %s would mix post-quantum members (%v) with classic ones (%v): %w", env, pq, classic, crypt.ErrMixedPostQuantum),
			"give everyone in "+env+" the same kind of key: `envsafe identity new --pq` for all, or classic keys for all")
	}
	return nil
}

// Drift compares an environment's recorded recipients with team.yaml.
type Drift struct {
	// Gained are public keys team.yaml lists but the file is not encrypted to.
	Gained []string
	// Lost are public keys the file is encrypted to but team.yaml no longer lists.
	Lost []string
}

// InSync reports no difference.
func (d Drift) InSync() bool { return len(d.Gained) == 0 && len(d.Lost) == 0 }

// DriftOf compares p's recipients with what team.yaml wants for env.
func DriftOf(t *team.Team, env string, p *payload.Payload) Drift {
	var want []string
	if rs, err := t.Recipients(env); err == nil {
		for _, r := range rs {
			want = append(want, r.String())
		}
	}
	var d Drift
	for _, k := range want {
		if !slices.Contains(p.Recipients, k) {
			d.Gained = append(d.Gained, k)
		}
	}
	for _, k := range p.Recipients {
		if !slices.Contains(want, k) {
			d.Lost = append(d.Lost, k)
		}
	}
	return d
}

// markLostReaders marks every secret of an environment that someone can no
// longer read (removed, or their key replaced) "to rotate": git history
// still holds the old file, encrypted to them. However the change came
// (member rm, or a team.yaml edit applied by sync), the marks are the same.
func markLostReaders(payloads []*payload.Payload, changes []RecipientChange) {
	for i, c := range changes {
		if payloads[i] == nil || len(c.Lost)+len(c.KeyChanged) == 0 {
			continue
		}
		var who []string
		for _, n := range c.Lost {
			if team.ValidateMemberName(n) != nil {
				n = crypt.Short(n) // a key no name in team.yaml holds any more
			}
			who = append(who, n+" removed")
		}
		for _, n := range c.KeyChanged {
			who = append(who, n+"'s old key replaced")
		}
		suffix := " " + time.Now().UTC().Format("2006-01-02")
		why := strings.Join(who, ", ")
		for len(why)+len(suffix) > payload.MaxMarkLen {
			_, size := utf8.DecodeLastRuneInString(why) // cut whole characters only
			why = why[:len(why)-size]
		}
		why += suffix
		payloads[i].MarkToRotate(payloads[i].Names(), why)
	}
}
