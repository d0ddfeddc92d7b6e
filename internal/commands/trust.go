package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/trust"
)

// EnvTrust names the variable that may carry a signed project's pin (CI).
const EnvTrust = "ENVSAFE_TRUST"

func newTrustCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "trust",
		Usage: "signed environments: pin this clone to a project's signed roster, show its pin",
		Description: `A signed project (one with .envsafe/team.sig) has every environment file
signed by a writer, checked against a roster its admins signed. This
machine checks them against a pin: the project's id, a checkpoint of its
admin log and a minimum roster version, given by an admin over another
channel than the repository (see docs/design/trust.md).

Examples:
   envsafe trust pin envsafe-trust:1:3f2a...:0:3f2a...:1
   envsafe trust show`,
		Subcommands: []*cli.Command{
			{
				Name:  "init",
				Usage: "sign this project: you become its first admin",
				Description: `Writes .envsafe/team.sig (the admin log and the signed roster, version 1,
from team.yaml) and signs every environment you can read, vouching for
what it holds now. Environments you cannot read stay readable unsigned until
one of their writers signs them. Prints the pin to give members and CI.

Examples:
   envsafe trust init --yes && git add .envsafe && git commit -m "envsafe: signed"`,
				Flags:  []cli.Flag{&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"}},
				Action: func(c *cli.Context) error { return runTrustInit(c.Context, d, c.Bool("yes")) },
			},
			{
				Name:  "apply",
				Usage: "sign team.yaml's changes as the next roster version (admins)",
				Description: `Shows how team.yaml (the proposal) differs from the signed roster, asks,
then signs it and re-encrypts the environments whose readers change.

Examples:
   envsafe trust apply`,
				Flags:  []cli.Flag{&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"}},
				Action: func(c *cli.Context) error { return runTrustApply(c.Context, d, c.Bool("yes")) },
			},
			newTrustAdminCmd(d),
			{
				Name:  "adopt",
				Usage: "sign an environment the roster still allows unsigned (you vouch for what it holds)",
				Description: `trust init signs only the environments its admin can read; the others stay
readable unsigned until one of their writers adopts them. adopt shows what
the environment holds (names, when each changed, who committed recently),
asks, and signs it as you. An admin's adopt also removes the allowance from
the roster, so no reader accepts it unsigned again.

Examples:
   envsafe trust adopt -e production`,
				Flags:  []cli.Flag{envFlag(), &cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"}},
				Action: func(c *cli.Context) error { return runTrustAdopt(c.Context, d, c.String("env"), c.Bool("yes")) },
			},
			{
				Name:      "pin",
				Usage:     "trust this project's signed roster from the pin an admin gave you",
				ArgsUsage: "PIN",
				Description: `Records the pin in this machine's state and binds this clone to the
project, then verifies the roster now.

Examples:
   envsafe trust pin envsafe-trust:1:3f2a...:0:3f2a...:1`,
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return usagef("trust pin", "trust pin takes one PIN (from `envsafe trust show` on an admin's machine)")
					}
					return runTrustPin(c.Context, d, c.Args().First())
				},
			},
			{
				Name:  "forget",
				Usage: "accept an older version of an environment again on this machine",
				Description: `envsafe refuses an environment file older than one this machine already
used: an old file is where a revoked password lives. After you threw away
newer versions that were never pushed (git checkout, git stash), forget
lowers what this machine remembers for that environment, once. The roster's
floor still holds.

Examples:
   envsafe trust forget -e production`,
				Flags: []cli.Flag{envFlag(), &cli.BoolFlag{Name: "roster", Usage: "forget the newest signed roster seen instead (after throwing away an unpushed roster change)"}},
				Action: func(c *cli.Context) error {
					if c.Bool("roster") {
						return runTrustForgetRoster(c.Context, d)
					}
					return runTrustForget(c.Context, d, c.String("env"))
				},
			},
			{
				Name:  "unpin",
				Usage: "stop checking signatures in this clone (after an admin made the project unsigned)",
				Description: `Removes this clone's binding to its signed project. Only for a project an
admin really made unsigned again: while the binding is there, a missing
team.sig is refused as an attack.

Examples:
   envsafe trust unpin --yes`,
				Flags:  []cli.Flag{&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"}},
				Action: func(c *cli.Context) error { return runTrustUnpin(c.Context, d, c.Bool("yes")) },
			},
			{
				Name:  "show",
				Usage: "print the pin members and CI use to verify this project",
				Description: `Examples:
   envsafe trust show`,
				Action: func(c *cli.Context) error { return runTrustShow(c.Context, d) },
			},
		},
	}
}

func runTrustPin(ctx context.Context, d *Deps, text string) error {
	pin, err := trust.ParsePin(strings.TrimSpace(text))
	if err != nil {
		return usagef("trust pin", "%v", err)
	}
	s, id, err := d.openProject(ctx, audited("trust pin"))
	if err != nil {
		return err
	}
	if !s.IsSigned() {
		return hint.With(fmt.Errorf("%s has no signed roster (.envsafe/team.sig)", s.Root()), "pull the branch that has it, or ask an admin to sign the project")
	}
	if bound := d.boundProject(s); bound != "" && bound != pin.Project {
		return hint.With(fmt.Errorf("%w: this clone is bound to project %s, the pin is for %s", trust.ErrOtherProject, short(bound), short(pin.Project)),
			"if the project really was started again, ask an admin why; envsafe never re-pins silently")
	}
	states := store.StateDir(d.TrustStates)
	if _, err := states.Raise(pin.Project, trust.State{Checkpoint: pin.Checkpoint, RosterVersion: pin.MinRoster}); err != nil {
		return err
	}
	sg, err := s.LoadSigned(pin, states, id.Identity)
	if err != nil {
		return err
	}
	if err := states.Bind(s.Root(), pin.Project); err != nil {
		return err
	}
	d.say("Pinned %s to project %s: signed roster version %d verified (admins: %s).", s.Root(), short(pin.Project), sg.V.Roster.Version, adminNames(sg.V))
	for _, w := range sg.V.Warnings {
		d.warn("%s", w)
	}
	return nil
}

func runTrustForget(ctx context.Context, d *Deps, envFlag string) error {
	s, env, _, err := d.open(ctx, envFlag, audited("trust forget"))
	if err != nil {
		return err
	}
	project := d.boundProject(s)
	if project == "" {
		return hint.With(fmt.Errorf("%s is not bound to a signed project", s.Root()), "`envsafe trust pin PIN` binds it")
	}
	if err := store.StateDir(d.TrustStates).Forget(project, env); err != nil {
		return err
	}
	d.warn("this machine now accepts the current %s again, even if it is older than one it used: check it is the version you mean (`git log -- .envsafe/%s.age`)", env, env)
	return nil
}

func runTrustUnpin(_ context.Context, d *Deps, yes bool) error {
	s, err := d.project(audited("trust unpin"))
	if err != nil {
		return err
	}
	states := store.StateDir(d.TrustStates)
	if states.Bound(s.Root()) == "" {
		return fmt.Errorf("%s is not bound to a signed project", s.Root())
	}
	if err := d.confirm("trust unpin", "Stop checking signatures in this clone", yes); err != nil {
		return err
	}
	return states.Unbind(s.Root())
}

func runTrustForgetRoster(ctx context.Context, d *Deps) error {
	s, id, err := d.openProject(ctx, audited("trust forget"))
	if err != nil {
		return err
	}
	pin, err := d.trustPin(s, id)
	if err != nil {
		return err
	}
	if pin.IsZero() {
		return hint.With(fmt.Errorf("%s is not pinned", s.Root()), "`envsafe trust pin PIN` pins it")
	}
	pin.MinRoster = 0 // the point: accept an older roster than the one recorded
	version, err := store.StateDir(d.TrustStates).ForgetRoster(s, pin)
	if err != nil {
		return err
	}
	d.warn("this machine now accepts signed roster version %d again, the one in this checkout: check it is the one you mean (`git log -- .envsafe/team.sig`)", version)
	return nil
}

func runTrustShow(ctx context.Context, d *Deps) error {
	s, err := d.project(audited("trust show"))
	if err != nil {
		return err
	}
	if !s.IsSigned() {
		return hint.With(fmt.Errorf("%s has no signed roster (.envsafe/team.sig)", s.Root()), "signatures are not checked in this project")
	}
	sg, err := s.SignedContext()
	if err != nil {
		return err
	}
	pin := sg.V.Pin().String()
	if _, err := fmt.Fprintln(d.Stdout, pin); err != nil {
		return err
	}
	d.say("Members: `envsafe trust pin %s`.", pin)
	d.say("CI: add the line `%s %s` to its identity secret.", identity.TrustPinPrefix, pin)
	return nil
}
