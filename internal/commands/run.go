package commands

import (
	"context"
	"errors"
	"strings"

	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/runner"
	"github.com/urfave/cli/v2"
)

type runOpts struct {
	env      string
	preserve []string
	args     []string
	// noPersonal leaves out the user's personal overrides.
	noPersonal bool
}

func newRunCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "start a program with the secrets as environment variables",
		ArgsUsage: "[--] CMD [ARG...]",
		Description: `Decrypts the environment and replaces envsafe with CMD (no shell, no $VAR
expansion), so CMD keeps envsafe's PID, signals, terminal and exit status.
On Windows envsafe starts CMD, leaves Ctrl-C to it and exits with its code;
a .bat or .cmd runs through cmd.exe with every argument quoted for it (an
argument with % or a line break is refused).
Secrets override inherited variables; --preserve-env keeps the inherited ones.
Your personal overrides (set --personal) apply over the environment, named
on stderr; --no-personal runs with the shared environment only.
envsafe prints nothing on stdout. Its own failures exit 125, a CMD that
cannot be executed 126, one that is not found 127.

Examples:
   envsafe run -- npm start
   envsafe run -e production -- ./server --port 8080
   envsafe run --preserve-env PORT,DEBUG -- python app.py`,
		Flags: []cli.Flag{
			envFlag(),
			&cli.StringSliceFlag{Name: "preserve-env", Usage: "keep the inherited value of these `NAMES` (comma-separated)"},
			noPersonalFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef("run", "name the program to run: envsafe run -- CMD [ARG...]")
			}
			return runRun(c.Context, d, runOpts{env: c.String("env"), preserve: c.StringSlice("preserve-env"), args: c.Args().Slice(), noPersonal: c.Bool("no-personal")})
		},
	}
}

func runRun(ctx context.Context, d *Deps, o runOpts) error {
	for _, name := range o.preserve {
		if err := payload.ValidateName(name); err != nil {
			return usagef("run", "--preserve-env: %v", err)
		}
	}
	path, err := runner.LookPath(o.args[0], d.getenv("PATH"))
	switch {
	case errors.Is(err, runner.ErrNotFound):
		return &runError{ExitRunNotFound, err}
	case errors.Is(err, runner.ErrNotExecutable):
		return &runError{ExitRunNotExecutable, err}
	case err != nil:
		return &runError{ExitRunFailed, err}
	}
	if err := runner.CheckArgs(path, o.args); err != nil {
		return &runError{ExitRunFailed, err}
	}
	env, err := runEnv(ctx, d, o)
	if err != nil {
		return &runError{ExitRunFailed, err}
	}
	err = d.Exec(ctx, path, o.args, env)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, runner.ErrNotFound):
		return &runError{ExitRunNotFound, err}
	case errors.Is(err, runner.ErrNotExecutable):
		return &runError{ExitRunNotExecutable, err}
	default:
		var child *runner.ExitError
		if errors.As(err, &child) {
			return err
		}
		return &runError{ExitRunFailed, err}
	}
}

// runEnv decrypts the environment and builds the child's variables,
// warning on stderr about what the user may not expect.
func runEnv(ctx context.Context, d *Deps, o runOpts) ([]string, error) {
	s, env, id, err := d.open(ctx, o.env, audited("run"))
	if err != nil {
		return nil, err
	}
	p, err := s.Read(env, id.Identity)
	if err != nil {
		return nil, err
	}
	if !o.noPersonal {
		if err := applyPersonal(d, s, env, id, p); err != nil {
			return nil, err
		}
	}
	if err := refuseConflicts(p, env); err != nil {
		return nil, err
	}
	e := runner.BuildEnv(d.Environ(), p, o.preserve)
	if len(e.Shadowed) > 0 {
		d.warn("%s replaces inherited %s (keep yours with --preserve-env %s)",
			env, strings.Join(e.Shadowed, ", "), strings.Join(e.Shadowed, ","))
	}
	if len(e.Risky) > 0 {
		d.warn("%s sets %s: that changes how programs load code, and anyone who can push to this repository can set it",
			env, strings.Join(e.Risky, ", "))
	}
	if err := runner.CheckSizes(e.Vars); err != nil {
		return nil, err
	}
	return e.Vars, nil
}
