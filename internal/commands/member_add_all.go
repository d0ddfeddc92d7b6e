package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
)

// errPreview stops ChangeAccess after its review, before any write: the
// first pass of member add --all-projects only collects what would change.
var errPreview = errors.New("preview only")

// projectGrant is what member add --all-projects does in one project.
type projectGrant struct {
	s     *store.Store
	label string
	gains []string
	// shown are the reader changes shown for it and confirmed; the write
	// is refused if the files say otherwise by then.
	shown []string
}

// runMemberAddAll adds one member (typically a CI machine) to the named
// environments of every project of the repository: it shows the change of
// readers of every project first, asks once, then re-encrypts project by
// project. A project without the environment is skipped, and said so.
func runMemberAddAll(ctx context.Context, d *Deps, o memberAddOpts) error {
	if o.recipient == "" {
		return usagef("member add", "--all-projects needs the member's public key: envsafe member add NAME RECIPIENT -e ENV --all-projects")
	}
	recipient, err := team.ParseRecipient(o.recipient)
	if err != nil {
		return usagef("member add", "%v", err)
	}
	stores, err := d.projects(audited("member add"))
	if err != nil {
		return err
	}
	id, err := d.identity(ctx)
	if err != nil {
		return err
	}
	m := team.Member{Name: o.name, Recipient: recipient, Sign: o.sign, ReadOnly: o.readOnly}
	var plans []*projectGrant
	for _, s := range stores {
		s.LoadTrust, s.Pinned = d.loadTrustAs(id), d.pinnedAs(id)
		p := &projectGrant{s: s, label: projectLabel(s)}
		if s.IsSigned() {
			return hint.With(fmt.Errorf("%s is a signed project: --all-projects changes unsigned projects only", p.label),
				"in a signed project an admin adds the member there: `envsafe -C "+p.label+" member add "+o.name+" ...`")
		}
		t, err := s.Team()
		if err != nil {
			return err
		}
		if err := checkNewMember(t, o.name, recipient); err != nil {
			return fmt.Errorf("%s: %w", p.label, err)
		}
		for _, env := range o.envs {
			if e, ok := t.Env(env); ok && !slices.Contains(e.Members, o.name) {
				p.gains = append(p.gains, env)
			}
		}
		if len(p.gains) == 0 {
			d.say("%s: nothing to do (no %s, or %s reads it already).", p.label, strings.Join(o.envs, ", "), o.name)
			continue
		}
		access := accessAdd(m, p.gains)
		access.Review = func(changes []store.RecipientChange) error {
			p.shown = changeLines(changes)
			return errPreview
		}
		if _, _, err := s.ChangeAccess(ctx, id.Identity, access); !errors.Is(err, errPreview) {
			return onlyMembersCanGrant(fmt.Errorf("%s: %w", p.label, err), p.gains, "envsafe -C "+p.label+" member add "+o.name+" KEY -e "+strings.Join(p.gains, " -e "))
		}
		plans = append(plans, p)
	}
	if len(plans) == 0 {
		return hint.With(fmt.Errorf("no project of this repository gains %s in %s", o.name, strings.Join(o.envs, ", ")),
			"`envsafe status` lists the projects and their environments")
	}
	d.say("Adding %s (%s) to %s. Who can read what, once re-encrypted:", o.name, identity.Short(recipient), plural(len(plans), "project"))
	for _, p := range plans {
		d.say("%s:", p.label)
		for _, line := range p.shown {
			d.say("  %s", line)
		}
	}
	if err := d.confirm("member add", fmt.Sprintf("Re-encrypt these to add %s", o.name), o.yes); err != nil {
		return err
	}
	for i, p := range plans {
		access := accessAdd(m, p.gains)
		access.Review = func(changes []store.RecipientChange) error {
			if !slices.Equal(changeLines(changes), p.shown) {
				return hint.With(fmt.Errorf("%s changed since it was shown; not written", p.label), "run the command again to see the change as it is now")
			}
			return nil
		}
		if _, done, err := p.s.ChangeAccess(ctx, id.Identity, access); err != nil {
			return hint.With(fmt.Errorf("%s: %w", p.label, err), doneSoFar(plans[:i]))
		} else {
			d.say("%s: added %s to %s and re-encrypted it.", p.label, o.name, strings.Join(done, ", "))
		}
	}
	d.say("Commit the .envsafe/ folders and push.")
	return nil
}

func changeLines(changes []store.RecipientChange) []string {
	var lines []string
	for _, c := range changes {
		lines = append(lines, c.Lines()...)
	}
	if len(lines) == 0 {
		lines = []string{"(no change of readers)"}
	}
	return lines
}

func doneSoFar(done []*projectGrant) string {
	if len(done) == 0 {
		return "nothing was written"
	}
	names := make([]string, len(done))
	for i, p := range done {
		names[i] = p.label
	}
	return "already written: " + strings.Join(names, ", ") + "; run the command again for the rest"
}
