package store

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/team"
)

// ErrUnreviewedGrant means team.yaml gives someone access that the
// environment file does not give yet. A routine write (set, rm, import,
// edit, rotate, merge) must not apply such a change as a side effect: anyone
// who can open a pull request can edit team.yaml.
var ErrUnreviewedGrant = errors.New("team.yaml grants access the file does not give")

// RecipientChange is what writing an environment again changes in who can
// read it, by member name (or a shortened key team.yaml does not name).
type RecipientChange struct {
	Env string
	// New is set when the environment has no file yet.
	New bool
	// Gained can read the file once it is written; Lost no longer can.
	Gained, Lost []string
	// KeyChanged are members whose key in team.yaml differs from the key
	// the file is encrypted to for them.
	KeyChanged []string
}

// Widens reports whether anyone gains access.
func (c RecipientChange) Widens() bool { return len(c.Gained) > 0 || len(c.KeyChanged) > 0 }

// Empty reports no change at all.
func (c RecipientChange) Empty() bool { return !c.Widens() && len(c.Lost) == 0 }

// Lines renders the change as the lines member add, member rm and sync show
// before asking: "production: + dave", "production: - bob",
// "production: ci: key changed".
func (c RecipientChange) Lines() []string {
	var out []string
	for _, n := range c.Gained {
		out = append(out, c.Env+": + "+n)
	}
	for _, n := range c.Lost {
		out = append(out, c.Env+": - "+n)
	}
	for _, n := range c.KeyChanged {
		out = append(out, c.Env+": "+n+": key changed")
	}
	return out
}

// recipientChange compares the keys a file is encrypted to (from its
// payload) with the keys t gives env. before (team.yaml before the command
// changed it) and committed (see Store.Committed), either may be nil, name
// keys t no longer has. A member named by both a lost and a gained key had
// their key changed.
func recipientChange(t, before, committed *team.Team, env string, fileKeys []string, isNew bool) RecipientChange {
	c := RecipientChange{Env: env, New: isNew}
	var want []string
	if rs, err := t.Recipients(env); err == nil {
		for _, r := range rs {
			want = append(want, r.String())
		}
	}
	nameOf := func(key string) string { return team.NameOf(key, t, before, committed) }
	var gained, lost []string
	for _, k := range want {
		if !slices.Contains(fileKeys, k) {
			gained = append(gained, nameOf(k))
		}
	}
	for _, k := range fileKeys {
		if !slices.Contains(want, k) {
			lost = append(lost, nameOf(k))
		}
	}
	for _, n := range gained {
		if slices.Contains(lost, n) {
			c.KeyChanged = append(c.KeyChanged, n)
		} else {
			c.Gained = append(c.Gained, n)
		}
	}
	for _, n := range lost {
		if !slices.Contains(c.KeyChanged, n) {
			c.Lost = append(c.Lost, n)
		}
	}
	return c
}

// refuseGrant explains an unreviewed grant and how to apply or undo it.
func (s *Store) refuseGrant(c RecipientChange) error {
	var who []string
	who = append(who, c.Gained...)
	for _, n := range c.KeyChanged {
		who = append(who, n+" (key changed)")
	}
	rel := DirName + "/" + TeamFile
	err := fmt.Errorf("%w: %s gives %s access to %s, but %s is not encrypted to them; envsafe does not widen access as a side effect of a write",
		ErrUnreviewedGrant, rel, strings.Join(who, ", "), c.Env, s.Rel(s.EnvPath(c.Env)))
	return hint.With(err, "review who changed "+rel+" (`git log -p -- "+rel+"`); if the change is right, `envsafe sync` applies it (it shows who gains access and asks); if not, restore "+rel+" from git")
}

// checkNoGrant refuses a routine write of p that would reach anyone the
// file is not already encrypted to.
func (s *Store) checkNoGrant(t *team.Team, env string, p *payload.Payload) error {
	if c := recipientChange(t, nil, nil, env, p.Recipients, false); c.Widens() {
		// Only now ask git for names: a routine write pays nothing.
		return s.refuseGrant(recipientChange(t, nil, s.committed(env), env, p.Recipients, false))
	}
	return nil
}

func (s *Store) committed(env string) *team.Team {
	if s.Committed == nil {
		return nil
	}
	return s.Committed(env)
}
