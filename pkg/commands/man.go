package commands

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func newManCmd(d *Deps, app func() *cli.App) *cli.Command {
	return &cli.Command{
		Name:   "man",
		Usage:  "print the envsafe(1) manual page (roff)",
		Hidden: true,
		Action: func(c *cli.Context) error {
			page, err := ManPage(app())
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(d.Stdout, page)
			return err
		},
	}
}

// ManPage renders the manual page from the command tree, so it documents
// exactly the commands and flags this build has.
// It is called from the running app, whose setup has added --help.
func ManPage(app *cli.App) (string, error) {
	page, err := app.ToManWithSection(1)
	if err != nil {
		return "", err
	}
	return page + manExtra, nil
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
Environment used when -e is not given (else team.yaml's default).
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
One armored age file per environment; decrypt without envsafe with age -d -i KEY FILE.
.SH EXIT STATUS
0 success, 1 failure, 2 usage error, 3 not a recipient, 4 no identity available,
5 integrity failure (damaged, truncated or swapped file), 130 interrupted.
envsafe run exits with the program's status, or 125 (envsafe failed), 126 (not executable), 127 (not found).
.SH SEE ALSO
.BR age (1),
.BR age-keygen (1),
.BR git (1)
`
