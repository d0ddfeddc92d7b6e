package commands

import (
	"context"

	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
	"github.com/urfave/cli/v2"
)

func newRotateCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "rotate",
		Usage: "re-encrypt an environment with a fresh file key",
		Description: `Every write already uses a fresh file key; rotate forces one without a
change of content, for instance after a laptop was lost. It does not change
the secret values: rotate those at their source, then envsafe set them.

Examples:
   envsafe rotate -e production`,
		Flags: []cli.Flag{envFlag()},
		Action: func(c *cli.Context) error {
			return runRotate(c.Context, d, c.String("env"))
		},
	}
}

func runRotate(ctx context.Context, d *Deps, envFlag string) error {
	s, env, id, err := d.open(ctx, envFlag, audited("rotate"))
	if err != nil {
		return err
	}
	if _, _, err := s.ChangeAccess(ctx, id.Identity, store.Access{Reencrypt: func(*team.Team) []string { return []string{env} }}); err != nil {
		return err
	}
	d.say("Re-encrypted %s with a fresh file key. Commit .envsafe/ and push.", env)
	return nil
}
