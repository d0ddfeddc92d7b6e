package commands

import (
	"context"

	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
	"github.com/urfave/cli/v2"
)

func newRekeyCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "rekey",
		Usage: "re-encrypt an environment with a fresh file key (values unchanged)",
		Description: `Every write already uses a fresh file key; rekey forces one without a
change of content, to the readers team.yaml lists, for instance after a file
was re-encrypted outside envsafe. It does not change the secret values: to
give secrets new values, see envsafe rotate.

Examples:
   envsafe rekey -e production`,
		Flags: []cli.Flag{envFlag()},
		Action: func(c *cli.Context) error {
			return runRekey(c.Context, d, c.String("env"))
		},
	}
}

func runRekey(ctx context.Context, d *Deps, envFlag string) error {
	s, env, id, err := d.open(ctx, envFlag, audited("rekey"))
	if err != nil {
		return err
	}
	if _, _, err := s.ChangeAccess(ctx, id.Identity, store.Access{Reencrypt: func(*team.Team) []string { return []string{env} }}); err != nil {
		return err
	}
	d.say("Re-encrypted %s with a fresh file key. Commit .envsafe/ and push.", env)
	return nil
}
