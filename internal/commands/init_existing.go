package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
)

// initMissingEnvs answers `init -e NAME...` inside an existing project: it
// creates the environments that do not exist yet, readable by you, through
// the same store change as `env add`. Someone who is not a member cannot
// be their reader, so they are told how to get there instead.
func initMissingEnvs(ctx context.Context, d *Deps, envs []string) error {
	s, err := d.project(audited("init"))
	if err != nil {
		return err
	}
	t, err := s.Team()
	if err != nil {
		return err
	}
	var missing []string
	for _, e := range envs {
		if _, ok := t.Env(e); !ok {
			missing = append(missing, e)
		}
	}
	if len(missing) == 0 {
		d.say("%s already exist%s here.", strings.Join(envs, ", "), map[bool]string{true: "s", false: ""}[len(envs) == 1])
		return explainJoin(ctx, d, s)
	}
	id, created, err := ensureIdentity(ctx, d, false)
	if err != nil {
		return fmt.Errorf("this folder is already in the envsafe project at %s, and: %w", s.Root(), err)
	}
	if created {
		d.say("Created your identity %s in the %s.", identity.Short(id.Public()), id.Source)
	}
	if _, ok := t.MemberByRecipient(id.Public()); !ok {
		list := strings.Join(missing, ", ")
		return hint.With(fmt.Errorf("cannot create %s: you are not a member of the envsafe project at %s, and a new environment is readable only by members", list, s.Root()),
			fmt.Sprintf("send your public key %s to a member; they run `envsafe env add %s` and `envsafe member add YOUR_NAME KEY -e %s`", id.Public(), missing[0], missing[0]))
	}
	var added []string
	var me string
	_, _, err = s.ChangeAccess(ctx, id.Identity, store.Access{
		Change: func(t *team.Team) error {
			added = nil
			var ok bool
			if me, ok = t.MemberByRecipient(id.Public()); !ok {
				return fmt.Errorf("you are no longer a member of team.yaml")
			}
			for _, e := range missing {
				if _, exists := t.Env(e); !exists {
					t.Environments = append(t.Environments, team.Environment{Name: e, Members: []string{me}})
					added = append(added, e)
				}
			}
			return nil
		},
		Reencrypt: func(*team.Team) []string { return added },
	})
	if err != nil {
		return hint.With(fmt.Errorf("creating %s: %w", strings.Join(missing, ", "), err), fmt.Sprintf("`envsafe env add %s` creates it the same way; a member who may change team.yaml can run it", missing[0]))
	}
	if existing := slices.DeleteFunc(slices.Clone(envs), func(e string) bool { return slices.Contains(added, e) }); len(existing) > 0 {
		d.say("Already there: %s.", strings.Join(existing, ", "))
	}
	if len(added) == 0 {
		return nil
	}
	d.say("Created environment%s %s in %s, readable by %s. Use it with -e %s; commit .envsafe/.",
		map[bool]string{true: "", false: "s"}[len(added) == 1], strings.Join(added, ", "), s.Root(), me, added[0])
	return nil
}
