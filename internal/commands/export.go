package commands

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/envsafe/envsafe/internal/exportfmt"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/urfave/cli/v2"
)

type exportOpts struct {
	env    string
	format string
	output string
	force  bool
	// noPersonal leaves out the user's personal overrides.
	noPersonal bool
}

func newExportCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "print or write the decrypted environment",
		Description: `Formats: dotenv (reads back to the same values with envsafe import and npm
dotenv), json (one object), shell (export NAME='...' lines, safe to eval in
bash, zsh and dash), docker (docker run --env-file; refuses values with line
breaks). -o writes a file only you can read (mode 0600; on Windows, your
user alone), atomically, and never replaces an existing file without
--force. Your personal overrides (set --personal)
apply over the environment, named on stderr; --no-personal leaves them out.

Examples:
   envsafe export -e production --format json | jq .
   eval "$(envsafe export --format shell)"
   envsafe export --format docker -o app.env && docker run --env-file app.env app`,
		Flags: []cli.Flag{
			envFlag(),
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "dotenv", Usage: "`FORMAT`: " + exportfmt.FormatNames},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to `FILE`, readable by you only, instead of stdout"},
			&cli.BoolFlag{Name: "force", Usage: "replace FILE if it exists"},
			noPersonalFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("export", "export takes no arguments, got %q", c.Args().First())
			}
			return runExport(c.Context, d, exportOpts{env: c.String("env"), format: c.String("format"), output: c.String("output"), force: c.Bool("force"), noPersonal: c.Bool("no-personal")})
		},
	}
}

func runExport(ctx context.Context, d *Deps, o exportOpts) error {
	if err := exportfmt.Write(&bytes.Buffer{}, o.format, nil); err != nil {
		return usagef("export", "%v", err)
	}
	var path string
	if o.output != "" {
		path = resolvePath(d, o.output)
		if _, err := os.Lstat(path); !o.force && !errors.Is(err, fs.ErrNotExist) {
			return hint.With(fmt.Errorf("%s already exists", o.output), "pass --force to replace it, or choose another file")
		}
	}
	s, env, id, err := d.open(ctx, o.env, audited("export"))
	if err != nil {
		return err
	}
	p, err := s.Read(env, id.Identity)
	if err != nil {
		return err
	}
	if !o.noPersonal {
		if err := applyPersonal(d, s, env, id, p); err != nil {
			return err
		}
	}
	if err := refuseConflicts(p, env); err != nil {
		return err
	}
	secrets := make([]exportfmt.Secret, 0, len(p.Secrets))
	for _, name := range p.Names() {
		secrets = append(secrets, exportfmt.Secret{Name: name, Value: p.Secrets[name].Value})
	}
	var buf bytes.Buffer
	if err := exportfmt.Write(&buf, o.format, secrets); err != nil {
		return err
	}
	if path == "" {
		_, err := d.Stdout.Write(buf.Bytes())
		return err
	}
	if err := writeSecretFile(path, o.output, buf.Bytes(), o.force); err != nil {
		return err
	}
	d.say("Wrote %d secrets from %s to %s (%s). Delete it when done; never commit it.", len(secrets), env, o.output, hint.PrivateFile())
	return nil
}
