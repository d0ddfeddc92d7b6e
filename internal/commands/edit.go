package commands

import (
	"cmp"
	"context"
	"os"

	"github.com/envsafe/envsafe/internal/editsession"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/urfave/cli/v2"
)

func newEditCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "edit",
		Usage: "edit an environment as dotenv text in your editor",
		Description: `Opens the decrypted environment in $VISUAL, else $EDITOR, else vi, from a
private temporary folder (mode 0700, file 0600; in /dev/shm on Linux, so in
memory) that is removed when envsafe ends, including on SIGINT, SIGTERM,
SIGHUP and SIGQUIT (after a SIGKILL, the next edit removes it).
Save and quit to encrypt the changes. Lines are read as import reads them:
a line npm dotenv reads differently from how it looks (PASSWORD=abc#def is
abc) is saved as npm reads it, with a warning naming the line; a line
envsafe cannot read reopens the editor with the problem noted at the top
and your text kept. An unchanged file writes nothing; an editor that exits
with an error writes nothing.
GUI editors must wait for the file to close: EDITOR="code --wait",
"subl -w", "gedit -s". After a git merge conflict, edit shows the other
side's value beside each conflicting secret: keep the line you want.
--personal edits your personal overrides of the environment instead.

Examples:
   envsafe edit
   EDITOR=nano envsafe edit -e production
   envsafe edit --personal`,
		Flags: []cli.Flag{envFlag(), personalFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("edit", "edit takes no arguments, got %q", c.Args().First())
			}
			return runEdit(c.Context, d, c.String("env"), c.Bool("personal"))
		},
	}
}

func runEdit(ctx context.Context, d *Deps, envFlag string, personal bool) error {
	s, env, id, err := d.open(ctx, envFlag, audited("edit"))
	if err != nil {
		return err
	}
	p, err := readEnv(s, env, id, personal)
	if err != nil {
		return err
	}
	text, hidden := editsession.Render(p, env)
	session := &editsession.Session{
		Editor:  cmp.Or(d.getenv("VISUAL"), d.getenv("EDITOR")),
		Environ: d.Environ(),
		Stdin:   d.Stdin,
		Stdout:  d.Stderr,
		Stderr:  d.Stderr,
	}
	// The editor draws on the terminal; when stdout is not one (edit | cat)
	// it must not write into the pipe.
	if f, ok := d.Stdout.(*os.File); ok && d.StdoutIsTTY {
		session.Stdout = f
	}
	edited, changed, err := session.Edit(env, text)
	if err != nil {
		return err
	}
	// The same rules as import: npm dotenv's reading is stored, and a line
	// that looks otherwise is pointed out (the editor reopens only for
	// lines that cannot be read at all).
	for _, pr := range edited {
		if pr.Note != "" {
			d.warn("%s", pr.Warning(env+".env"))
		}
	}
	var changes editsession.Changes
	if changed {
		changes = editsession.Diff(p, edited, hidden)
	}
	if changes.Empty() {
		d.say("No changes; %s left as it was.", whose(env, personal))
		return nil
	}
	// Once the user has saved, a late Ctrl-C must not lose the edit.
	_, err = updateEnv(context.WithoutCancel(ctx), s, env, id, personal, func(p *payload.Payload) error {
		for _, pr := range changes.Set {
			p.Set(pr.Name, pr.Value, d.Now())
		}
		for _, name := range changes.Removed {
			p.Delete(name)
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.say("Saved %s: %d added, %d changed, %d removed.", whose(env, personal), changes.Added, len(changes.Set)-changes.Added, len(changes.Removed))
	return nil
}
