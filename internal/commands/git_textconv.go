package commands

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
	"github.com/urfave/cli/v2"
)

func newGitTextconvCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "textconv",
		Usage:     "print an environment file as text, for git diff (called by git)",
		ArgsUsage: "FILE",
		Hidden:    true,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("git textconv", "git textconv takes one FILE")
			}
			return runGitTextconv(c.Context, d, c.Args().First())
		},
	}
}

// runGitTextconv prints one NAME="value" line per secret (JSON-quoted, so
// a multi-line value stays on one line of the diff) and who the file is
// encrypted to. It goes to git, which shows it to the person who asked; git
// is told never to cache it. A version this person cannot decrypt is shown
// as a placeholder with its digest, so the diff still shows that it changed.
func runGitTextconv(ctx context.Context, d *Deps, file string) error {
	data, err := readFileLimited(resolvePath(d, file), store.MaxFileSize)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return nil // the side of a diff where the file does not exist
	}
	digest := sha256.Sum256(data)
	placeholder := func(why string) error {
		fmt.Fprintf(d.Stdout, "# envsafe: %s\n# sha256 %s\n", why, hex.EncodeToString(digest[:]))
		return nil
	}
	id, err := d.identity(ctx)
	if err != nil {
		return placeholder("no identity to decrypt with")
	}
	plain, err := crypt.Decrypt(data, id.Identity)
	switch {
	case errors.Is(err, crypt.ErrNoMatch):
		return placeholder("you are not a recipient of this version")
	case err != nil:
		return placeholder("not an intact age file")
	}
	p, err := payload.DecodeAnyEnvironment(plain)
	if err != nil {
		return placeholder("not an envsafe payload")
	}
	var names []string
	var t *team.Team
	if s, err := d.project(); err == nil {
		t, _ = s.Team()
		d.auditDecrypt(s.Root(), p.Environment, p)
	}
	for _, r := range p.Recipients {
		name := crypt.Short(r)
		if t != nil {
			if m, ok := t.MemberByRecipient(r); ok {
				name = m
			}
		}
		names = append(names, name)
	}
	w := d.Stdout
	fmt.Fprintf(w, "# environment %s, encrypted to: %s\n", p.Environment, strings.Join(names, ", "))
	for _, name := range p.Names() {
		fmt.Fprintf(w, "%s=%s\n", name, strconv.Quote(p.Secrets[name].Value))
	}
	for _, name := range p.ConflictNames() {
		c := p.Conflicts[name]
		fmt.Fprintf(w, "# CONFLICT %s: base=%s ours=%s theirs=%s\n", name, side(c.Base), side(c.Ours), side(c.Theirs))
	}
	return nil
}

func side(v *string) string {
	if v == nil {
		return "(absent)"
	}
	return strconv.Quote(*v)
}
