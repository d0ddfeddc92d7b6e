package commands

import (
	"context"
	"fmt"

	"github.com/envsafe/envsafe/internal/trust"
	"github.com/urfave/cli/v2"
)

func newIdentityShowCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "show",
		Usage: "print your public key",
		Description: `Uses the same identity decryption would: ENVSAFE_IDENTITY, then
ENVSAFE_IDENTITY_FILE, then the keychain. Where it came from goes to stderr.

With --sign it prints your public signing key instead, derived from your
identity: what a signed project's admin adds with ` + "`member add --sign`" + `.

Examples:
   envsafe identity show | pbcopy      (then send it to a teammate)
   envsafe identity show --sign`,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "sign", Usage: "print your public signing key (signed projects)"}},
		Action: func(c *cli.Context) error {
			return runIdentityShow(c.Context, d, c.Bool("sign"))
		},
	}
}

func runIdentityShow(ctx context.Context, d *Deps, sign bool) error {
	id, err := d.identity(ctx)
	if err != nil {
		return err
	}
	shown := id.Public()
	if sign {
		key, err := id.SigningKey()
		if err != nil {
			return err
		}
		shown = trust.PublicKeyText(key)
	}
	if _, err := fmt.Fprintln(d.Stdout, shown); err != nil {
		return err
	}
	d.say("(from %s)", id.Source)
	return nil
}
