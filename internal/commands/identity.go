package commands

import "github.com/urfave/cli/v2"

func newIdentityCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "identity",
		Usage: "manage your own key (new, show, import, export, rm)",
		Description: `Your identity is an age key pair. The secret half lives in the OS keychain
(service "envsafe"); the public half is what team.yaml lists. Without a
keychain, use ENVSAFE_IDENTITY (the secret key text) or ENVSAFE_IDENTITY_FILE.

Examples:
   envsafe identity new
   envsafe identity show
   envsafe identity export -o backup-key.txt`,
		Subcommands: []*cli.Command{
			newIdentityNewCmd(d),
			newIdentityShowCmd(d),
			newIdentityImportCmd(d),
			newIdentityExportCmd(d),
			newIdentityRmCmd(d),
		},
	}
}
