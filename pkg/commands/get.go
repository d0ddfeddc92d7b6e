package commands

import (
	"context"
	"fmt"
	"io"

	"github.com/envsafe/envsafe/pkg/hint"
	"github.com/urfave/cli/v2"
)

type getOpts struct {
	env  string
	name string
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
		Flags: []cli.Flag{envFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("get", "get takes exactly one NAME, got %d arguments", c.NArg())
			}
			return runGet(c.Context, d, getOpts{env: c.String("env"), name: c.Args().First()})
		},
	}
}

func runGet(ctx context.Context, d *Deps, o getOpts) error {
	s, env, id, err := d.open(ctx, o.env)
	if err != nil {
		return err
	}
	p, err := s.Read(env, id.Identity)
	if err != nil {
		return err
	}
	secret, ok := p.Secrets[o.name]
	if !ok {
		return hint.With(fmt.Errorf("no secret %s in %s", o.name, env), "`envsafe ls -e "+env+"` lists what is there")
	}
	io.WriteString(d.Stdout, secret.Value)
	if d.StdoutIsTTY {
		io.WriteString(d.Stdout, "\n")
	}
	return nil
}
