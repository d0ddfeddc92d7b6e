package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// completeFiles is the line that tells a completion script to fall back to
// file names (import FILE, --file PATH, run CMD).
const completeFiles = ":files"

// newCompleteCmd is the hidden command the shell scripts call on every TAB:
// `envsafe __complete SHELL -- WORD...`, where the last word is the one being
// completed. It prints one candidate per line ("name\tdescription") and never
// fails: where nothing can be offered — an environment you cannot decrypt —
// it prints nothing. It never prints a value.
func newCompleteCmd(d *Deps, app func() *cli.App) *cli.Command {
	return &cli.Command{
		Name:            "__complete",
		Hidden:          true,
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			args := c.Args().Slice()
			if len(args) > 0 && args[0] != "--" {
				args = args[1:] // the shell's name, for future use
			}
			if len(args) > 0 && args[0] == "--" {
				args = args[1:]
			}
			if len(args) == 0 {
				args = []string{""}
			}
			for _, cand := range completions(c.Context, d, app(), args) {
				fmt.Fprintln(d.Stdout, cand)
			}
			return nil
		},
	}
}

// joinAssignments puts back together a --flag=value that bash split at
// '=' (a COMP_WORDBREAKS character) when no bash-completion package
// rejoined it: ["--env", "=", "pro"] is "--env=pro".
func joinAssignments(words []string) []string {
	var out []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "=" && len(out) > 0 && strings.HasPrefix(out[len(out)-1], "-") && !strings.Contains(out[len(out)-1], "=") {
			out[len(out)-1] += "="
			if i+1 < len(words) {
				out[len(out)-1] += words[i+1]
				i++
			}
			continue
		}
		out = append(out, w)
	}
	return out
}

// completions works out the candidates for the last of words.
func completions(ctx context.Context, d *Deps, app *cli.App, words []string) []string {
	words = joinAssignments(words)
	partial := words[len(words)-1]
	var cmd *cli.Command
	var path []string
	cmds := app.Commands
	var env string
	positional := 0
	expectValue := ""
	for _, w := range words[:len(words)-1] {
		switch {
		case expectValue != "":
			if expectValue == "env" {
				env = w
			}
			expectValue = ""
		case w == "--":
			if cmd != nil && cmd.Name == "run" {
				return []string{completeFiles}
			}
		case strings.HasPrefix(w, "-") && len(w) > 1:
			name, value, hasValue := strings.Cut(strings.TrimLeft(w, "-"), "=")
			if f := findFlag(cmd, name); f != nil && flagTakesValue(f) && !hasValue {
				expectValue = f.Names()[0]
			} else if hasValue && (name == "env" || name == "e") {
				env = value
			}
		default:
			if c := findCommand(cmds, w); c != nil && positional == 0 {
				cmd, cmds = c, c.Subcommands
				path = append(path, c.Name)
				continue
			}
			positional++
		}
	}
	if env == "" {
		env = d.getenv(EnvEnv)
	}
	var cands []string
	flagName, _, assigning := strings.Cut(strings.TrimLeft(partial, "-"), "=")
	switch {
	case expectValue != "":
		cands = flagValues(ctx, d, expectValue)
	case strings.HasPrefix(partial, "-") && assigning:
		// --env=pro: the values, written as the whole word.
		if f := findFlag(cmd, flagName); f != nil && flagTakesValue(f) {
			prefix := partial[:strings.Index(partial, "=")+1]
			for _, v := range flagValues(ctx, d, f.Names()[0]) {
				if v != completeFiles {
					cands = append(cands, prefix+v)
				}
			}
		}
	case strings.HasPrefix(partial, "-"):
		cands = flagNames(cmd, app)
	case cmd == nil || (len(cmd.Subcommands) > 0 && positional == 0):
		cands = commandNames(cmds)
	default:
		cands = positionals(ctx, d, strings.Join(path, " "), positional, env)
	}
	var out []string
	for _, c := range cands {
		if c == completeFiles || strings.HasPrefix(c, partial) {
			out = append(out, c)
		}
	}
	return out
}

func findFlag(cmd *cli.Command, name string) cli.Flag {
	if cmd == nil {
		return nil
	}
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

func flagTakesValue(f cli.Flag) bool {
	v, ok := f.(cli.DocGenerationFlag)
	return ok && v.TakesValue()
}

func commandNames(cmds []*cli.Command) []string {
	var out []string
	for _, c := range cmds {
		if !c.Hidden {
			out = append(out, c.Name+"\t"+c.Usage)
		}
	}
	return out
}

func flagNames(cmd *cli.Command, app *cli.App) []string {
	flags := app.Flags
	if cmd != nil {
		flags = cmd.Flags
	}
	out := []string{"--help\tshow help"}
	for _, f := range flags {
		usage := ""
		if u, ok := f.(cli.DocGenerationFlag); ok {
			usage = strings.ReplaceAll(u.GetUsage(), "`", "")
		}
		for _, n := range f.Names() {
			prefix := "--"
			if len(n) == 1 {
				prefix = "-"
			}
			out = append(out, prefix+n+"\t"+usage)
		}
	}
	return out
}
