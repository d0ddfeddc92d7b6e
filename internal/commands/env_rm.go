package commands

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
	"github.com/urfave/cli/v2"
)

func newEnvRmCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "delete an environment and its secrets",
		ArgsUsage: "NAME",
		Description: `Removes NAME from team.yaml and deletes .envsafe/NAME.age (git history keeps
old versions). Asks on a terminal; elsewhere needs --yes.

Examples:
   envsafe env rm staging
   envsafe env rm preview-42 --yes`,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("env rm", "env rm takes one NAME")
			}
			return runEnvRm(c.Context, d, c.Args().First(), c.Bool("yes"))
		},
	}
}

func runEnvRm(ctx context.Context, d *Deps, name string, yes bool) error {
	s, t, id, err := d.openTeam(ctx, audited("env rm"))
	if err != nil {
		return err
	}
	if _, ok := t.Env(name); !ok {
		return fmt.Errorf("%w %q", store.ErrNoEnvironment, name)
	}
	if t.Default == name {
		return hint.With(fmt.Errorf("%s is the default environment", name), "set another `default:` in team.yaml first")
	}
	what := "its file"
	if p, err := s.Read(name, id.Identity); err == nil {
		what = plural(len(p.Secrets), "secret")
	}
	if err := d.confirm("env rm", fmt.Sprintf("Delete environment %s and %s", name, what), yes); err != nil {
		return err
	}
	_, _, err = s.ChangeAccess(ctx, id.Identity, store.Access{
		Change: func(t *team.Team) error {
			t.Environments = slices.DeleteFunc(t.Environments, func(e team.Environment) bool { return e.Name == name })
			delete(t.MaxAge, name)
			return nil
		},
	})
	if err != nil {
		return err
	}
	if err := os.Remove(s.EnvPath(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	d.say("Deleted environment %s (%s). Commit .envsafe/ and push.", name, what)
	return nil
}
