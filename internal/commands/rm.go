package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/urfave/cli/v2"
)

type rmOpts struct {
	env   string
	names []string
	// personal removes from the user's personal overrides.
	personal bool
}

func newRmCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "remove secrets",
		ArgsUsage: "NAME...",
		Description: `Removes every NAME, or none of them if any is missing. With --personal,
removes your personal overrides of NAME: your runs get the shared value again.

Examples:
   envsafe rm OLD_TOKEN
   envsafe rm A B -e staging
   envsafe rm --personal API_URL`,
		Flags: []cli.Flag{envFlag(), personalFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef("rm", "name at least one secret to remove")
			}
			return runRm(c.Context, d, rmOpts{env: c.String("env"), names: c.Args().Slice(), personal: c.Bool("personal")})
		},
	}
}

func runRm(ctx context.Context, d *Deps, o rmOpts) error {
	s, env, id, err := d.open(ctx, o.env, audited("rm"))
	if err != nil {
		return err
	}
	_, err = updateEnv(ctx, s, env, id, o.personal, func(p *payload.Payload) error {
		var missing []string
		for _, name := range o.names {
			_, stored := p.Secrets[name]
			_, conflicted := p.Conflicts[name]
			if !stored && !conflicted {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			ls := "`envsafe ls -e " + env + "`"
			if o.personal {
				ls = "`envsafe ls --personal -e " + env + "`"
			}
			return hint.With(fmt.Errorf("no secret %s in %s; nothing removed", strings.Join(missing, ", "), whose(env, o.personal)),
				ls+" lists what is there")
		}
		for _, name := range o.names {
			p.Delete(name)
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.say("Removed %s from %s.", strings.Join(o.names, ", "), whose(env, o.personal))
	return nil
}
