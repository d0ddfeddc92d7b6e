package commands

import "github.com/urfave/cli/v2"

func newMemberCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "member",
		Usage: "manage who can read which environment (ls, add, rm)",
		Description: `Members are names with a public key in .envsafe/team.yaml. Adding or
removing one rewrites team.yaml and re-encrypts the environments concerned;
commit .envsafe/ and push for the change to reach the team.

Examples:
   envsafe member ls
   envsafe member add bob age1... -e development
   envsafe member rm bob`,
		Subcommands: []*cli.Command{newMemberLsCmd(d), newMemberAddCmd(d), newMemberRmCmd(d)},
	}
}
