package commands

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/envsafe/envsafe/internal/atomicfile"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/urfave/cli/v2"
)

type identityNewOpts struct {
	pq   bool
	file string
}

func newIdentityNewCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "new",
		Usage: "create your identity in the keychain (or in a file with --file)",
		Description: `Prints the public key on stdout: send it to a teammate to be added.

Examples:
   envsafe identity new
   envsafe identity new --pq
   envsafe identity new --file ci-key.txt     for CI: ENVSAFE_IDENTITY_FILE=ci-key.txt`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "pq", Usage: "post-quantum hybrid key (age1pq1...); cannot share an environment with classic keys"},
			&cli.StringFlag{Name: "file", Usage: "write the key to `PATH`, readable by you only, instead of the keychain"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("identity new", "identity new takes no arguments, got %q", c.Args().First())
			}
			return runIdentityNew(c.Context, d, identityNewOpts{pq: c.Bool("pq"), file: c.String("file")})
		},
	}
}

func runIdentityNew(ctx context.Context, d *Deps, o identityNewOpts) error {
	secret, public, err := identity.Generate(o.pq)
	if err != nil {
		return err
	}
	if o.file != "" {
		path := resolvePath(d, o.file)
		if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
			return hint.With(fmt.Errorf("%s already exists; envsafe never overwrites a key file", o.file), "choose another path, or move the old file away first")
		}
		text := identity.FileText(secret, public, "created: "+d.Now().UTC().Format(time.RFC3339))
		if err := atomicfile.Write(path, []byte(text), 0o600); err != nil {
			return err
		}
		fmt.Fprintln(d.Stdout, public)
		d.say("Wrote your secret key to %s (%s). Use it with %s=%s.", o.file, hint.PrivateFile(), identity.EnvIdentityFile, o.file)
		d.warnKeyInProject(resolvePath(d, o.file))
		return nil
	}
	if _, err := identity.Save(ctx, d.Keychain, secret); err != nil {
		return err
	}
	fmt.Fprintln(d.Stdout, public)
	d.say("Stored your new identity in the %s. Back it up with `envsafe identity export -o FILE`.", d.Keychain.Backend())
	return nil
}
