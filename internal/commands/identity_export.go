package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/keychain"
	"github.com/urfave/cli/v2"
)

type identityExportOpts struct {
	output string
	force  bool
}

func newIdentityExportCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "print your secret key from the keychain, for a backup",
		Description: `Writes age-keygen format, which age -i and envsafe identity import read.
It refuses to print to a terminal unless --force, so the key does not end up
in scrollback by accident.

Examples:
   envsafe identity export -o envsafe-key.txt       (readable by you only)
   envsafe identity export | pass insert -m envsafe/key`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to `FILE`, readable by you only, instead of stdout"},
			&cli.BoolFlag{Name: "force", Usage: "print to a terminal anyway; with -o, replace an existing FILE"},
		},
		Action: func(c *cli.Context) error {
			return runIdentityExport(c.Context, d, identityExportOpts{output: c.String("output"), force: c.Bool("force")})
		},
	}
}

func runIdentityExport(ctx context.Context, d *Deps, o identityExportOpts) error {
	secret, err := d.Keychain.Get(ctx, identity.KeychainAccount)
	if errors.Is(err, keychain.ErrNotFound) {
		return hint.With(fmt.Errorf("%w: none in the keychain to export", identity.ErrNoIdentity), keyElsewhereHint(d, "create one with `envsafe identity new`"))
	}
	if err != nil {
		return hint.With(err, keyElsewhereHint(d, "run it in the session where your keychain is (your desktop login); machines without one take their key from ENVSAFE_IDENTITY or ENVSAFE_IDENTITY_FILE"))
	}
	id, err := identity.Parse(secret)
	if err != nil {
		return fmt.Errorf("%w: the keychain entry is not an age identity", identity.ErrNoIdentity)
	}
	text := identity.FileText(secret, id.Public(), "envsafe identity exported: "+d.Now().UTC().Format(time.RFC3339))
	// A hardware key's member signs with a separate key: the backup must
	// hold it too, or restoring it would lose the right to write.
	signing, err := identity.SigningLine(ctx, d.Keychain, id)
	if err != nil {
		return err
	}
	text += signing
	if o.output != "" {
		if err := writeSecretFile(resolvePath(d, o.output), o.output, []byte(text), o.force); err != nil {
			return err
		}
		d.say("Wrote your secret key to %s (%s). Keep it offline or in a password manager.", o.output, hint.PrivateFile())
		d.warnKeyInProject(resolvePath(d, o.output))
		return nil
	}
	if d.StdoutIsTTY && !o.force {
		return hint.With(errors.New("refusing to print your secret key to a terminal"),
			"write it to a file with `envsafe identity export -o FILE`, pipe it somewhere, or pass --force")
	}
	if d.StdoutIsTTY {
		d.warn("your secret key is on screen: clear the scrollback once you have copied it")
	}
	_, err = io.WriteString(d.Stdout, text)
	return err
}

// keyElsewhereHint is the advice of identity export and rm when the
// keychain has no key for them: the key envsafe uses here may be a file or
// a variable, which are backed up (or removed) as what they are.
func keyElsewhereHint(d *Deps, otherwise string) string {
	if _, ok := d.LookupEnv(identity.EnvIdentity); ok {
		return "envsafe here uses the key in " + identity.EnvIdentity + ", not the keychain: that value is the key (keep it where it came from, such as your CI's secret store)"
	}
	if path, ok := d.LookupEnv(identity.EnvIdentityFile); ok {
		return "envsafe here uses the key file " + path + " (" + identity.EnvIdentityFile + "), not the keychain: back up or delete that file itself"
	}
	return otherwise
}
