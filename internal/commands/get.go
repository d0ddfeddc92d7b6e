package commands

import (
	"context"
	"fmt"
	"io"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/urfave/cli/v2"
)

type getOpts struct {
	env  string
	name string
	// side picks a version of a secret a git merge left in conflict.
	side string
}

func newGetCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "get",
		Usage:     "print one secret's value",
		ArgsUsage: "NAME",
		Description: `Prints the value exactly as stored. On a terminal a newline is added; in a
pipe or file the bytes are exact, so multi-line values survive.

Examples:
   envsafe get DATABASE_URL
   envsafe get TLS_KEY -e production > server.key`,
		Flags: []cli.Flag{
			envFlag(),
			&cli.BoolFlag{Name: "theirs", Usage: "after a merge conflict: the other branch's value"},
			&cli.BoolFlag{Name: "base", Usage: "after a merge conflict: the value both branches started from"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("get", "get takes exactly one NAME, got %s", plural(c.NArg(), "argument"))
			}
			side := ""
			switch {
			case c.Bool("theirs") && c.Bool("base"):
				return usagef("get", "choose one of --theirs and --base")
			case c.Bool("theirs"):
				side = "theirs"
			case c.Bool("base"):
				side = "base"
			}
			return runGet(c.Context, d, getOpts{env: c.String("env"), name: c.Args().First(), side: side})
		},
	}
}

func runGet(ctx context.Context, d *Deps, o getOpts) error {
	s, env, id, err := d.open(ctx, o.env, auditScope{command: "get", only: o.name})
	if err != nil {
		return err
	}
	p, err := s.Read(env, id.Identity)
	if err != nil {
		return err
	}
	value, err := secretValue(d, p, env, o)
	if err != nil {
		return err
	}
	io.WriteString(d.Stdout, value)
	if d.StdoutIsTTY {
		io.WriteString(d.Stdout, "\n")
	}
	return nil
}

// secretValue picks the value get prints: the stored one, or one side of a
// merge conflict, saying on stderr when a conflict is pending.
func secretValue(d *Deps, p *payload.Payload, env string, o getOpts) (string, error) {
	c, conflicted := p.Conflicts[o.name]
	if o.side != "" {
		if !conflicted {
			return "", fmt.Errorf("%s has no merge conflict in %s, so there is no --%s value", o.name, env, o.side)
		}
		v := c.Theirs
		if o.side == "base" {
			v = c.Base
		}
		if v == nil {
			return "", fmt.Errorf("%s did not exist on the %s side of the merge", o.name, o.side)
		}
		return *v, nil
	}
	secret, ok := p.Secrets[o.name]
	if conflicted {
		d.warn("%s is in conflict after a merge: this is our side; see `envsafe get %s --theirs -e %s`, then settle it with `envsafe set %s`", o.name, o.name, env, o.name)
		if !ok {
			return "", fmt.Errorf("%s was removed on our side of the merge; see `envsafe get %s --theirs -e %s`", o.name, o.name, env)
		}
	}
	if !ok {
		return "", hint.With(fmt.Errorf("no secret %s in %s", o.name, env), "`envsafe ls -e "+env+"` lists what is there")
	}
	return secret.Value, nil
}
