package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
	"github.com/urfave/cli/v2"
)

func newEnvAddCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "add",
		Usage:     "create an environment",
		ArgsUsage: "NAME",
		Description: `Creates an empty, encrypted .envsafe/NAME.age readable by you, or by the
members named with --members (all must be in team.yaml).

Examples:
   envsafe env add staging
   envsafe env add production --members alice,ci-prod`,
		Flags: []cli.Flag{&cli.StringSliceFlag{Name: "members", Usage: "members who may read it (default: you)"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("env add", "env add takes one NAME")
			}
			return runEnvAdd(c.Context, d, c.Args().First(), splitList(strings.Join(c.StringSlice("members"), ",")))
		},
	}
}

func runEnvAdd(ctx context.Context, d *Deps, name string, members []string) error {
	if err := team.ValidateEnvName(name); err != nil {
		return usagef("env add", "%v", err)
	}
	s, id, err := d.openProject(ctx, audited("env add"))
	if err != nil {
		return err
	}
	_, done, err := s.ChangeAccess(ctx, id.Identity, store.Access{
		Change: func(t *team.Team) error {
			if _, exists := t.Env(name); exists {
				return fmt.Errorf("environment %s already exists", name)
			}
			if len(members) == 0 {
				me, ok := t.MemberByRecipient(id.Public())
				if !ok {
					return hint.With(fmt.Errorf("you are not a member of team.yaml, so the new environment would have no reader"),
						"name its readers with --members NAME,...")
				}
				members = []string{me}
			}
			for _, m := range members {
				if _, ok := t.Member(m); !ok {
					return fmt.Errorf("no member %s in team.yaml", m)
				}
			}
			t.Environments = append(t.Environments, team.Environment{Name: name, Members: members})
			return nil
		},
		Reencrypt: func(*team.Team) []string { return []string{name} },
	})
	if errors.Is(err, store.ErrProposal) {
		return d.proposed()
	}
	if err != nil {
		return err
	}
	d.say("Created environment %s for %s. Use it with -e %s.", name, strings.Join(members, ", "), name)
	if len(done) == 0 {
		d.say("You are not one of its writers, so its first file is theirs to make: one of them runs `envsafe sync`.")
	}
	d.sayNewPin(s)
	return nil
}
