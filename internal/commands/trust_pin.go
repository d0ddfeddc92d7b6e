package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
	"github.com/envsafe/envsafe/internal/trust"
)

// trustPin finds the pin for a signed project: ENVSAFE_TRUST or the
// identity's `# envsafe-trust:` line (CI), else the clone's binding with
// what this machine recorded for that project (members). Two different
// explicit pins, or a pin for another project than the clone is bound to,
// are refused: a pushed .envrc must not be able to re-pin a clone.
func (d *Deps) trustPin(s *store.Store, id *identity.Resolved) (trust.Pin, error) {
	var explicit []string
	if v, ok := d.LookupEnv(EnvTrust); ok {
		if strings.TrimSpace(v) == "" {
			return trust.Pin{}, hint.With(fmt.Errorf("%w: %s is set but empty", store.ErrIntegrity, EnvTrust), "set it to the pin an admin gave you, or unset it")
		}
		explicit = append(explicit, strings.TrimSpace(v))
	}
	if id.TrustPin != "" {
		explicit = append(explicit, id.TrustPin)
	}
	var pin trust.Pin
	for i, text := range explicit {
		p, err := trust.ParsePin(text)
		if err != nil {
			return trust.Pin{}, hint.With(fmt.Errorf("%w: %w", store.ErrIntegrity, err), "check "+EnvTrust+" and the identity's "+identity.TrustPinPrefix+" line")
		}
		if i > 0 && p != pin {
			return trust.Pin{}, hint.With(fmt.Errorf("%w: %s and the identity's %s line give different pins", store.ErrIntegrity, EnvTrust, identity.TrustPinPrefix), "keep one of them")
		}
		pin = p
	}
	bound := d.boundProject(s)
	switch {
	case !pin.IsZero() && bound != "" && bound != pin.Project:
		return trust.Pin{}, fmt.Errorf("%w: %w: this clone is bound to project %s, the pin given is for %s", store.ErrIntegrity, trust.ErrOtherProject, short(bound), short(pin.Project))
	case !pin.IsZero():
		return pin, nil
	case bound == "":
		return trust.Pin{}, nil
	}
	st, err := store.StateDir(d.TrustStates).Load(bound)
	if err != nil || st.Checkpoint.IsZero() {
		return trust.Pin{}, err
	}
	return trust.Pin{Project: bound, Checkpoint: st.Checkpoint, MinRoster: st.RosterVersion}, nil
}

// pinned reports whether this machine holds a pin for the project without
// reading any file but the clone's binding: the clone is bound (one stat),
// ENVSAFE_TRUST is set, or ENVSAFE_IDENTITY carries a pin line. Commands
// that resolved their identity use pinnedAs, which also sees a pin line in
// an identity file.
func (d *Deps) pinned(s *store.Store) bool {
	if d.boundProject(s) != "" || strings.TrimSpace(d.getenv(EnvTrust)) != "" {
		return true
	}
	text, _ := d.LookupEnv(identity.EnvIdentity)
	return strings.Contains(text, identity.TrustPinPrefix)
}

// pinnedAs is pinned for a command whose identity is resolved, so the key
// file is not read a second time on every run.
func (d *Deps) pinnedAs(id *identity.Resolved) func(*store.Store) bool {
	return func(s *store.Store) bool { return id.TrustPin != "" || d.pinned(s) }
}

// boundProject is the project id this clone is bound to ("" if none).
func (d *Deps) boundProject(s *store.Store) string {
	return store.StateDir(d.TrustStates).Bound(s.Root())
}

// loadTrust is the store's LoadTrust: this machine's pin and state for the
// project, and the caller's identity.
func (d *Deps) loadTrust(s *store.Store) (*store.Signed, error) {
	id, err := d.identity(context.Background())
	if err != nil {
		return nil, err
	}
	return d.loadTrustAs(id)(s)
}

// loadTrustAs is loadTrust for a command that already resolved its
// identity: the keychain or key file is not read twice.
func (d *Deps) loadTrustAs(id *identity.Resolved) func(*store.Store) (*store.Signed, error) {
	return func(s *store.Store) (*store.Signed, error) { return d.loadSigned(s, id) }
}

func (d *Deps) loadSigned(s *store.Store, id *identity.Resolved) (*store.Signed, error) {
	if d.TrustStates == "" {
		return nil, errors.New("no folder for trust state (set XDG_STATE_HOME or HOME)")
	}
	pin, err := d.trustPin(s, id)
	if err != nil {
		return nil, err
	}
	states := store.StateDir(d.TrustStates)
	sg, err := s.LoadSigned(pin, states, id.Identity)
	if errors.Is(err, trust.ErrRollback) {
		// Merging a newer roster into a branch that is behind: the side
		// being merged in has it, and the drivers verify against that.
		if data, from := d.mergingTeamSig(s); data != nil {
			sg, err = s.LoadSignedFrom(data, from, pin, states, id.Identity)
		}
	}
	if err != nil {
		return nil, err
	}
	for _, w := range sg.V.Warnings {
		d.warn("%s", w)
	}
	return sg, nil
}

func adminNames(v *trust.Verified) string {
	var names []string
	for _, a := range v.Admins {
		names = append(names, trust.QuoteName(a.Name))
	}
	return strings.Join(names, ", ")
}

func short(project string) string {
	if len(project) > 12 {
		return project[:12]
	}
	return project
}

// mergingTeamSig returns team.sig as the commit being merged, rebased onto
// or cherry-picked has it, while one of those is in progress (nil
// otherwise), and names it.
func (d *Deps) mergingTeamSig(s *store.Store) ([]byte, string) {
	if d.Git == nil {
		return nil, ""
	}
	for _, ref := range []string{"MERGE_HEAD", "REBASE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD"} {
		if _, err := d.Git(s.Root(), "rev-parse", "-q", "--verify", ref); err != nil {
			continue
		}
		data, err := d.Git(s.Root(), "show", ref+":./"+store.DirName+"/"+store.TeamSigFile)
		if err == nil {
			return data, store.DirName + "/" + store.TeamSigFile + " of " + ref
		}
	}
	return nil, ""
}

// signedView returns, for a signed project, the team as the signed roster
// says it (what readers and writers really are) and how team.yaml differs
// from it (an unsigned proposal); for an unsigned one, t and nothing.
func signedView(s *store.Store, t *team.Team) (*team.Team, []string, error) {
	if !s.IsSigned() {
		return t, nil, nil
	}
	sg, err := s.SignedContext()
	if err != nil {
		return nil, nil, err
	}
	signed, err := team.FromRoster(sg.V.Roster.Team)
	if err != nil {
		return nil, nil, err
	}
	return signed, t.Diff(sg.V.Roster.Team), nil
}
