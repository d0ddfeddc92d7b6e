package commands

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// stopsAtFirstArg reports commands whose first positional argument starts a
// command line of its own (run CMD ARGS), so later flags belong to CMD.
func stopsAtFirstArg(cmd string) bool { return cmd == "run" }

// reorderArgs lets flags follow positional arguments (`set A=1 -e prod`),
// which urfave/cli v2 does not: it moves the selected command's flags in
// front of its arguments and puts "--" between, so an argument that starts
// with "-" after the user's own "--" is still an argument.
func reorderArgs(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := []string{args[0]}
	cmds := app.Commands
	var cmd *cli.Command
	i := 1
	for ; i < len(args); i++ {
		c := findCommand(cmds, args[i])
		if c == nil {
			break
		}
		cmd, cmds = c, c.Subcommands
		out = append(out, args[i])
	}
	if cmd == nil || cmd.SkipFlagParsing {
		return args
	}
	var flags, positional []string
	rest := args[i:]
scan:
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		switch {
		case a == "--":
			positional = append(positional, rest[j+1:]...)
			break scan
		case len(a) < 2 || a[0] != '-':
			if stopsAtFirstArg(cmd.Name) {
				positional = append(positional, rest[j:]...)
				break scan
			}
			positional = append(positional, a)
		default:
			flags = append(flags, a)
			if !strings.Contains(a, "=") && takesValue(cmd, a) && j+1 < len(rest) {
				j++
				flags = append(flags, rest[j])
			}
		}
	}
	out = append(out, flags...)
	if len(positional) > 0 {
		out = append(out, "--")
		out = append(out, positional...)
	}
	return out
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

func takesValue(cmd *cli.Command, arg string) bool {
	name := strings.TrimLeft(arg, "-")
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			if n == name {
				v, ok := f.(cli.DocGenerationFlag)
				return ok && v.TakesValue()
			}
		}
	}
	return false
}
