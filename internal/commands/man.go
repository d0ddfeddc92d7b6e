package commands

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

func newManCmd(d *Deps, app func() *cli.App) *cli.Command {
	return &cli.Command{
		Name:   "man",
		Usage:  "print the envsafe(1) manual page (roff)",
		Hidden: true,
		Action: func(c *cli.Context) error {
			_, err := fmt.Fprint(d.Stdout, ManPage(app()))
			return err
		},
	}
}

// ManPage renders the manual page from the command tree, so it documents
// exactly the commands, flags and examples this build has. It writes roff
// itself rather than through urfave/cli's markdown converter, whose package
// initialisation alone costs a quarter of a millisecond on every start.
func ManPage(app *cli.App) string {
	var b strings.Builder
	b.WriteString(".TH ENVSAFE 1 \"\" \"envsafe\" \"User Commands\"\n")
	b.WriteString(".SH NAME\nenvsafe \\- " + roff(app.Usage) + "\n")
	b.WriteString(".SH SYNOPSIS\n.B envsafe\n.I command\n[flags] [arguments]\n")
	b.WriteString(".SH DESCRIPTION\n")
	roffBlock(&b, app.Description)
	b.WriteString(".SH COMMANDS\n")
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			if c.Hidden || c.Name == "help" {
				continue
			}
			name := strings.TrimSpace(prefix + " " + c.Name)
			synopsis := "envsafe " + name
			if c.ArgsUsage != "" {
				synopsis += " " + c.ArgsUsage
			}
			b.WriteString(".SS \"" + roff(synopsis) + "\"\n")
			b.WriteString(roff(c.Usage) + ".\n")
			if c.Description != "" {
				roffBlock(&b, c.Description)
			}
			for _, f := range c.Flags {
				doc, ok := f.(cli.DocGenerationFlag)
				if !ok {
					continue
				}
				var names []string
				for _, n := range f.Names() {
					if len(n) == 1 {
						names = append(names, "\\-"+n)
					} else {
						names = append(names, "\\-\\-"+roff(n))
					}
				}
				b.WriteString(".TP\n.B " + strings.Join(names, ", ") + "\n")
				b.WriteString(roff(strings.ReplaceAll(doc.GetUsage(), "`", "")) + "\n")
			}
			walk(name, c.Subcommands)
		}
	}
	walk("", app.Commands)
	b.WriteString(manExtra)
	return b.String()
}

// roffBlock keeps a description's line breaks and indentation (examples).
func roffBlock(b *strings.Builder, text string) {
	b.WriteString(".PP\n.nf\n")
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		b.WriteString(roff(line) + "\n")
	}
	b.WriteString(".fi\n")
}

// roff escapes text for a roff line: backslashes, and a leading . or '
// that would read as a request.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// manExtra holds the sections a manual needs that the command tree does not
// describe: environment, files, exit status.
const manExtra = `.SH ENVIRONMENT
.TP
.B ENVSAFE_IDENTITY
Secret key text (AGE-SECRET-KEY-...) to decrypt with, for CI and containers. Looked at first.
.TP
.B ENVSAFE_IDENTITY_FILE
Path of an age identity file or unencrypted OpenSSH private key. Looked at second, before the OS keychain.
.TP
.B ENVSAFE_ENV
Environment used when \-e is not given (else team.yaml's default).
.TP
.B ENVSAFE_KEYCHAIN_TIMEOUT
Longest wait for the keychain, as a Go duration (default 5s).
.TP
.B VISUAL, EDITOR
Editor for envsafe edit (default vi).
.TP
.B NO_COLOR
Disables colour in prompts.
.SH FILES
.TP
.B .envsafe/team.yaml
Members (public keys) and which environments each may read.
.TP
.B .envsafe/ENV.age
One armored age file per environment; decrypt without envsafe with age \-d \-i KEY FILE.
.SH EXIT STATUS
0 success, 1 failure, 2 usage error, 3 not a recipient, 4 no identity available,
5 integrity failure (damaged, truncated or swapped file), 130 interrupted.
envsafe run exits with the program's status, or 125 (envsafe failed), 126 (not executable), 127 (not found).
.SH SEE ALSO
.BR age (1),
.BR age\-keygen (1),
.BR git (1)
`
