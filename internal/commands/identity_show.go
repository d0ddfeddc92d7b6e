package commands

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"
)

func newIdentityShowCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "show",
		Usage: "print your public key",
		Description: `Uses the same identity decryption would: ENVSAFE_IDENTITY, then
ENVSAFE_IDENTITY_FILE, then the keychain. Where it came from goes to stderr.

Examples:
   envsafe identity show | pbcopy      (then send it to a teammate)`,
		Action: func(c *cli.Context) error {
			return runIdentityShow(c.Context, d)
		},
	}
}

func runIdentityShow(ctx context.Context, d *Deps) error {
	id, err := d.identity(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(d.Stdout, id.Public())
	d.say("(from %s)", id.Source)
	return nil
}
