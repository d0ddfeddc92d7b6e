package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/envsafe/envsafe/internal/runner"
	"github.com/urfave/cli/v2"
)

// Main runs envsafe with args (args[0] is the program name) and returns the
// exit status. It prints every error itself; nothing below it exits.
func Main(ctx context.Context, args []string, d *Deps) int {
	// Every write to stdout is checked once, here: `envsafe get A >
	// /dev/full` must fail rather than exit 0 with the data lost.
	out := &checkedWriter{w: d.Stdout}
	run := *d
	run.Stdout = out
	dir, args, err := changeDir(d.Dir, args)
	run.Dir = dir
	app := NewApp(&run)
	if err == nil {
		err = app.RunContext(ctx, reorderArgs(app, args))
	}
	if err == nil && out.err != nil {
		err = fmt.Errorf("writing to standard output: %w", out.err)
	}
	var child *runner.ExitError
	if err != nil && !errors.As(err, &child) { // the program spoke for itself
		report(d.Stderr, err)
	}
	return ExitCode(err)
}

// NewApp builds the command tree over d.
func NewApp(d *Deps) *cli.App {
	app := &cli.App{
		Name:  "envsafe",
		Usage: "encrypted environments for your project, instead of .env files",
		Description: `Secrets live in .envsafe/<environment>.age, age-encrypted to the public keys
in .envsafe/team.yaml and committed beside the code. Your own key is in the OS
keychain (or ENVSAFE_IDENTITY / ENVSAFE_IDENTITY_FILE).

Examples:
   envsafe init                        start a project (creates your key if needed)
   envsafe set DATABASE_URL            store a secret, typed at a hidden prompt
   printf %s "$TOKEN" | envsafe set API_TOKEN -e production
   envsafe get DATABASE_URL            print one value
   envsafe ls --long                   names and when they changed
   envsafe -C apps/api run -- make     work on the project in apps/api

Exit codes: 0 ok, 1 failure, 2 usage, 3 no access, 4 no identity,
5 damaged or swapped file, 130 interrupted.`,
		Version:        d.Version,
		HideVersion:    true,
		Reader:         d.Stdin,
		Writer:         d.Stdout,
		ErrWriter:      d.Stderr,
		ExitErrHandler: func(*cli.Context, error) {},
		// Completion goes through `envsafe __complete`; urfave's own
		// --generate-bash-completion stays off so it cannot answer.
		EnableBashCompletion: false,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "version", Aliases: []string{"v"}, Usage: "print the version"},
			// Taken off the command line by Main (changeDir) before the
			// app parses it; declared for help and completion.
			&cli.StringFlag{Name: "C", Usage: "run as if envsafe was started in `DIR`, as git -C (before the command; repeat to go deeper)"},
		},
		Commands: []*cli.Command{
			newInitCmd(d),
			newSetCmd(d),
			newGetCmd(d),
			newLsCmd(d),
			newRmCmd(d),
			newEditCmd(d),
			newImportCmd(d),
			newExportCmd(d),
			newRunCmd(d),
			newStatusCmd(d),
			newEnvCmd(d),
			newMemberCmd(d),
			newSyncCmd(d),
			newRotateCmd(d),
			newRekeyCmd(d),
			newScanCmd(d),
			newHookCmd(d),
			newCheckCmd(d),
			newDiffCmd(d),
			newLogCmd(d),
			newAuditCmd(d),
			newGitCmd(d),
			newIdentityCmd(d),
			newTrustCmd(d),
			newRestoreCmd(d),
			newVersionCmd(d),
		},
	}
	self := func() *cli.App { return app }
	app.Commands = append(app.Commands, newCompletionCmd(d), newCompleteCmd(d, self), newManCmd(d, self))
	unknown := unknownCommand("", app.Commands)
	app.Action = func(c *cli.Context) error {
		if c.Bool("version") && c.NArg() == 0 {
			return printVersion(d)
		}
		return unknown(c)
	}
	app.OnUsageError = usageErrorFor("", app.Flags)
	for _, c := range app.Commands {
		setUsageErrors(c, "")
	}
	return app
}

// setUsageErrors makes flag errors exit 2 with our own message instead of
// urfave/cli printing usage on stdout, and gives command groups an action
// that rejects unknown subcommands.
func setUsageErrors(c *cli.Command, parent string) {
	path := strings.TrimSpace(parent + " " + c.Name)
	c.OnUsageError = usageErrorFor(path, c.Flags)
	if len(c.Subcommands) > 0 && c.Action == nil {
		c.Action = unknownCommand(path, c.Subcommands)
	}
	for _, sub := range c.Subcommands {
		setUsageErrors(sub, path)
	}
}

// usageErrorFor turns urfave/cli's flag errors for the command at path into
// our usage error, suggesting the closest flag.
func usageErrorFor(path string, flags []cli.Flag) cli.OnUsageErrorFunc {
	return func(_ *cli.Context, err error, _ bool) error {
		if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
			shown := "--" + name
			if len(name) == 1 {
				shown = "-" + name
			}
			if s := closestFlag(name, flags); s != "" {
				return usagef(path, "unknown flag %s; did you mean %s?", shown, s)
			}
			return usagef(path, "unknown flag %s", shown)
		}
		return usagef(path, "%v", err)
	}
}

// unknownCommand shows help when no command is given and suggests the
// closest command name for a typo.
func unknownCommand(path string, cmds []*cli.Command) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.NArg() == 0 {
			if path == "" {
				return cli.ShowAppHelp(c)
			}
			return cli.ShowSubcommandHelp(c)
		}
		name := c.Args().First()
		err := fmt.Errorf("unknown command %q", strings.TrimSpace(path+" "+name))
		if s := closest(name, cmds); s != "" {
			return usagef(strings.TrimSpace(path), "%v; did you mean %q?", err, strings.TrimSpace(path+" "+s))
		}
		return usagef(strings.TrimSpace(path), "%v", err)
	}
}

// envFlag is -e/--env, on every command that works on one environment.
func envFlag() cli.Flag {
	return &cli.StringFlag{
		Name:    "env",
		Aliases: []string{"e"},
		Usage:   "environment `NAME` (default: $ENVSAFE_ENV, then team.yaml's default)",
	}
}

// checkedWriter remembers the first write error, so a full disk or a closed
// pipe on stdout fails the command instead of losing data silently.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	if err != nil {
		c.err = err
	}
	return n, err
}
