package commands

import "github.com/urfave/cli/v2"

func newEnvCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "env",
		Usage: "manage environments (ls, add, rm)",
		Description: `Each environment is one file, .envsafe/NAME.age, readable by the members
team.yaml lists for it.

Examples:
   envsafe env ls
   envsafe env add staging --members alice,bob
   envsafe env rm staging`,
		Subcommands: []*cli.Command{newEnvLsCmd(d), newEnvAddCmd(d), newEnvRmCmd(d)},
	}
}
