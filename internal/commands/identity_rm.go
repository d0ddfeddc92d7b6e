package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/keychain"
	"github.com/urfave/cli/v2"
)

func newIdentityRmCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "rm",
		Usage: "delete your identity from the keychain",
		Description: `Without a backup, every environment encrypted only to this key is lost to
you. Asks first on a terminal; elsewhere needs --yes.

Examples:
   envsafe identity export -o backup-key.txt && envsafe identity rm`,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"}},
		Action: func(c *cli.Context) error {
			return runIdentityRm(c.Context, d, c.Bool("yes"))
		},
	}
}

func runIdentityRm(ctx context.Context, d *Deps, yes bool) error {
	secret, err := d.Keychain.Get(ctx, identity.KeychainAccount)
	if errors.Is(err, keychain.ErrNotFound) {
		return hint.With(fmt.Errorf("%w: the keychain holds no envsafe identity to remove", identity.ErrNoIdentity), keyElsewhereHint(d, "nothing to do"))
	}
	if err != nil {
		return hint.With(err, keyElsewhereHint(d, "run it in the session where your keychain is (your desktop login)"))
	}
	what := "an entry that is not a valid identity"
	if id, err := identity.Parse(secret); err == nil {
		what = identity.Short(id.Public())
	}
	if !yes {
		if !d.StdinIsTTY {
			return usagef("identity rm", "removing your identity needs --yes when not run on a terminal")
		}
		d.warn("without a backup you lose every environment encrypted only to %s", what)
		ok, err := d.Prompter.Confirm("Delete your envsafe identity from the keychain")
		if err != nil {
			return err
		}
		if !ok {
			return hint.With(errors.New("kept your identity"), "back it up first with `envsafe identity export -o FILE`")
		}
	}
	if err := d.Keychain.Delete(ctx, identity.KeychainAccount); err != nil {
		return err
	}
	if err := identity.DeleteSigningKey(ctx, d.Keychain); err != nil {
		return err
	}
	d.say("Deleted identity %s from the %s.", what, d.Keychain.Backend())
	return nil
}
