package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
)

// newTrustAdminCmd changes who the admins of a signed project are. Each
// change is one admin-log entry, signed by the current admins and by every
// admin it adds: adding someone takes their own `trust admin sign`.
func newTrustAdminCmd(d *Deps) *cli.Command {
	yes := func() cli.Flag {
		return &cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"}
	}
	return &cli.Command{
		Name:  "admin",
		Usage: "change who the admins of a signed project are",
		Description: `Admins sign the roster: who may read and write which environment. A change
of admins is a new entry in team.sig's admin log, signed by each admin it
adds (who proves so that they hold their key) and then by an admin, whose
signature applies it at once. Until then it waits in
.envsafe/team.sig.pending (commit it, so the others can sign); it holds no
admin's signature and nothing in it counts.

Examples:
   envsafe trust admin add bob        (then bob, then an admin: envsafe trust admin sign)
   envsafe trust admin rm carol
   envsafe trust admin sign`,
		Subcommands: []*cli.Command{
			{
				Name:      "add",
				Usage:     "make a member an admin (they then sign it too)",
				ArgsUsage: "NAME",
				Description: `NAME must be a member of the signed roster with a signing key. The change
waits in .envsafe/team.sig.pending until NAME signs it with
envsafe trust admin sign (proof that they hold their key); an admin's
envsafe trust admin sign then applies it.

Examples:
   envsafe trust admin add bob && git add .envsafe && git commit -m "Propose bob as admin"`,
				Flags: []cli.Flag{yes()},
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return usagef("trust admin add", "trust admin add takes one member NAME")
					}
					return runTrustAdmin(c.Context, d, c.Args().First(), true, c.Bool("yes"))
				},
			},
			{
				Name:      "rm",
				Usage:     "take a member's admin role away",
				ArgsUsage: "NAME",
				Description: `Applied at once (one admin's signature is enough); NAME stays a member.
Another admin removes you.
Re-issue CI's pin line as printed: a CI runner pinned before the removal
would not notice a history NAME forged from before it.

Examples:
   envsafe trust admin rm carol`,
				Flags: []cli.Flag{yes()},
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return usagef("trust admin rm", "trust admin rm takes one admin NAME")
					}
					return runTrustAdmin(c.Context, d, c.Args().First(), false, c.Bool("yes"))
				},
			},
			{
				Name:  "sign",
				Usage: "sign the admin change waiting in team.sig.pending",
				Description: `Shows the waiting change, asks, and adds your signature; applies it once it
has every signature it needs.

Examples:
   git pull && envsafe trust admin sign`,
				Flags: []cli.Flag{yes()},
				Action: func(c *cli.Context) error {
					if c.NArg() != 0 {
						return usagef("trust admin sign", "trust admin sign takes no arguments")
					}
					return runTrustAdminSign(c.Context, d, c.Bool("yes"))
				},
			},
		},
	}
}

func runTrustAdmin(ctx context.Context, d *Deps, name string, add, yes bool) error {
	if err := team.ValidateMemberName(name); err != nil {
		return usagef("trust admin", "%v", err)
	}
	s, _, id, err := d.openTeam(ctx, audited("trust admin"))
	if err != nil {
		return err
	}
	sg, err := s.SignedContext()
	if err != nil {
		return err
	}
	if sg == nil {
		return fmt.Errorf("%s is not signed: `envsafe trust init` makes you its first admin", s.Root())
	}
	if !sg.IsAdmin() {
		return hint.With(store.ErrNotAdmin, "only an admin changes who the admins are")
	}
	var names []string
	for _, a := range sg.V.Admins {
		names = append(names, a.Name)
	}
	switch {
	case add && slices.Contains(names, name):
		d.say("%s is an admin already; nothing to do.", name)
		return nil
	case add:
		names = append(names, name)
	case !slices.Contains(names, name):
		return fmt.Errorf("%s is not an admin (admins: %s)", name, strings.Join(names, ", "))
	case len(names) == 1:
		return fmt.Errorf("%s is the only admin: add another admin first (`envsafe trust admin add NAME`)", name)
	default:
		names = slices.DeleteFunc(names, func(n string) bool { return n == name })
	}
	what := "Make " + name + " an admin"
	if !add {
		what = "Take " + name + "'s admin role away"
	}
	st, err := s.ProposeAdmins(ctx, id.Identity, names, 1, d.reviewAdmins("trust admin", what, yes))
	if err != nil {
		return err
	}
	return reportAdmins(d, s, st)
}

func runTrustAdminSign(ctx context.Context, d *Deps, yes bool) error {
	s, _, id, err := d.openTeam(ctx, audited("trust admin sign"))
	if err != nil {
		return err
	}
	st, err := s.SignPendingAdmins(ctx, id.Identity, d.reviewAdmins("trust admin sign", "Sign this change of admins", yes))
	if err != nil {
		return err
	}
	return reportAdmins(d, s, st)
}

// reviewAdmins shows an admin change and asks (--yes off a terminal).
func (d *Deps) reviewAdmins(cmd, question string, yes bool) func([]string) error {
	return func(lines []string) error {
		d.say("The admin change:")
		for _, l := range lines {
			d.say("  %s", l)
		}
		return d.confirm(cmd, question, yes)
	}
}

func reportAdmins(d *Deps, s *store.Store, st store.AdminStatus) error {
	if !st.Applied {
		d.say("Waiting. Still needed: %s. Commit .envsafe/%s and push; each of them runs `envsafe trust admin sign` (an admin last, which applies it).", strings.Join(st.Missing, "; "), store.PendingAdminsFile)
		return nil
	}
	d.say("Applied: the admin log and a new roster version are in .envsafe/%s. Commit .envsafe/ and push.", store.TeamSigFile)
	d.sayNewPin(s)
	return nil
}
