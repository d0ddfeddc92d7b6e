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

func newMemberRmCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "take a member's access away",
		ArgsUsage: "NAME",
		Description: `Removes NAME from team.yaml and re-encrypts every environment they could
read with a fresh file key, then lists the secrets they could read: git
history still holds copies encrypted to their key, so those secrets are
marked "to rotate": rotate each value at its source, then set it
("envsafe rotate" goes through them). You must be able to decrypt each of
those environments.

Examples:
   envsafe member rm bob
   envsafe member rm ci-old --yes`,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("member rm", "member rm takes one NAME")
			}
			return runMemberRm(c.Context, d, c.Args().First(), c.Bool("yes"))
		},
	}
}

func runMemberRm(ctx context.Context, d *Deps, name string, yes bool) error {
	s, t, id, err := d.openTeam(ctx, audited("member rm"))
	if err != nil {
		return err
	}
	if _, ok := t.Member(name); !ok {
		return hint.With(fmt.Errorf("no member %s in team.yaml", name), "`envsafe member ls` lists the members")
	}
	envs := t.EnvsOf(name)
	// What they could read is listed before the re-encryption: removing
	// yourself leaves you unable to read it afterwards.
	could := map[string][]string{}
	pr := d.progress()
	defer pr.done()
	for i, env := range envs {
		pr.show("member rm: reading %s (%d of %d)", env, i+1, len(envs))
		if p, err := s.Read(env, id.Identity); err == nil {
			could[env] = p.Names()
		}
	}
	pr.done()
	d.say("Removing %s from %s. Who can read what, once re-encrypted:", name, orNone(envs))
	_, done, err := s.ChangeAccess(ctx, id.Identity, store.Access{
		Change:    func(t *team.Team) error { t.RemoveMember(name); return nil },
		Reencrypt: func(*team.Team) []string { return envs },
		Review:    pr.cleared(d.reviewAccess("member rm", "Remove "+name+" and re-encrypt "+orNone(envs), yes)),
		Progress:  pr.envSteps("member rm"),
	})
	pr.done()
	if errors.Is(err, store.ErrProposal) {
		return d.proposed()
	}
	if err != nil {
		return onlyMembersCanGrant(err, envs, "envsafe member rm "+name)
	}
	d.say("Removed %s; re-encrypted %s with fresh keys. Commit .envsafe/ and push.", name, orNone(done))
	d.sayNewPin(s)
	exposed := 0
	for _, env := range done {
		if names := could[env]; len(names) > 0 {
			exposed += len(names)
			d.say("  %s could read in %s: %s", name, env, strings.Join(names, ", "))
		}
	}
	if exposed > 0 {
		d.warn("git history still holds copies of %s encrypted to %s's key: marked to rotate (`envsafe ls --long`; `envsafe check` fails) until each has a new value: rotate it at its source, then `envsafe set` it, or `envsafe rotate` to go through them", plural(exposed, "secret"), name)
	}
	if m, ok := t.Member(name); ok && m.Recipient == id.Public() {
		d.warn("you removed yourself: you can no longer read %s", orNone(done))
	}
	return nil
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "(no environments)"
	}
	return strings.Join(list, ", ")
}
