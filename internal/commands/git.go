package commands

import "github.com/urfave/cli/v2"

func newGitCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "git",
		Usage: "make git diff and git merge work on encrypted environments",
		Description: `envsafe git setup installs, in this clone, a diff driver (git diff and git log -p
show decrypted changes to people who can decrypt them) and a merge driver
(three-way merge by secret name). textconv and merge-driver are what git
calls; you do not run them yourself.

Examples:
   envsafe git setup
   git log -p -- .envsafe/production.age`,
		Subcommands: []*cli.Command{newGitSetupCmd(d), newGitTextconvCmd(d), newGitMergeDriverCmd(d), newGitMergeTrustCmd(d)},
	}
}
