package commands

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/envsafe/envsafe/internal/identity"
	"github.com/urfave/cli/v2"
)

func newIdentityImportCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "store an existing age key (age-keygen output) or hardware key identity in the keychain",
		ArgsUsage: "[FILE|-]",
		Description: `Reads FILE, or stdin when FILE is - or missing (a hidden prompt on a
terminal). The key never appears on the command line.

A hardware key's identity file (AGE-PLUGIN-YUBIKEY-1..., -TPM-1..., -SE-1...,
with the "# Recipient:" or "# public key:" line its plugin writes) is
stored the same way; it is only a stub, decryption runs age-plugin-NAME.
Such a member signs with a separate signing key, created in the keychain
now (or taken from the backup's "# envsafe-signing-key:" line).

Examples:
   envsafe identity import key.txt
   age-keygen | envsafe identity import
   age-plugin-yubikey --identity --slot 1 | envsafe identity import`,
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return usagef("identity import", "give one FILE (or - for stdin)")
			}
			return runIdentityImport(c.Context, d, c.Args().First())
		},
	}
}

func runIdentityImport(ctx context.Context, d *Deps, file string) error {
	var text string
	switch {
	case file != "" && file != "-":
		f, err := os.Open(resolvePath(d, file))
		if err != nil {
			return err
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, 64<<10))
		if err != nil {
			return err
		}
		text = string(data)
	case d.StdinIsTTY:
		var err error
		if text, err = d.Prompter.Password("Secret key (AGE-SECRET-KEY-...)"); err != nil {
			return err
		}
	default:
		data, err := io.ReadAll(io.LimitReader(d.Stdin, 64<<10))
		if err != nil {
			return err
		}
		text = string(data)
	}
	id, err := identity.Save(ctx, d.Keychain, text)
	if err != nil {
		return fmt.Errorf("importing identity: %w", err)
	}
	fmt.Fprintln(d.Stdout, id.Public())
	if id.NeedsSigningKey() {
		d.say("Stored the %s plugin identity and a signing key for it in the %s. `envsafe identity export` backs up both.", id.Plugin(), d.Keychain.Backend())
		return nil
	}
	d.say("Stored the identity in the %s. You can delete the key file once it is backed up.", d.Keychain.Backend())
	return nil
}
