package commands

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
	"github.com/envsafe/envsafe/internal/trust"
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
	data, err := store.ReadFile(resolvePath(d, file))
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
	teamOf := func() *team.Team {
		if s, err := d.project(audited("git textconv")); err == nil {
			t, _ := s.Team()
			return t
		}
		return nil
	}
	p, plain, err := store.OpenFile(data, store.AnyEnvironment, id.Identity, nil, teamOf)
	switch {
	case errors.Is(err, store.ErrNotRecipient):
		return placeholder("you are not a recipient of this version")
	case identity.IsPluginError(err):
		return placeholder("your identity's age plugin could not decrypt it")
	case errors.Is(err, store.ErrNewerFormat):
		return placeholder("written by a newer envsafe: upgrade to read it")
	case err != nil:
		return placeholder("not an intact envsafe file")
	}
	var names []string
	var t *team.Team
	verdict := ""
	if s, err := d.project(audited("git textconv")); err == nil {
		t, _ = s.Team()
		d.auditDecrypt(s.Root(), p.Environment, p, audited("git textconv"))
		verdict = signatureVerdict(s, p, plain)
	}
	clear(plain)
	for _, r := range p.Recipients {
		// A recipient not in team.yaml is text from the file, which anyone
		// can write: quoted, so no control character reaches the terminal.
		name := r
		if q := strconv.QuoteToASCII(r); q[1:len(q)-1] != r {
			name = q
		}
		name = identity.Short(name)
		if t != nil {
			if m, ok := t.MemberByRecipient(r); ok {
				name = m
			}
		}
		names = append(names, name)
	}
	w := d.Stdout
	if verdict != "" {
		fmt.Fprintf(w, "# envsafe: %s\n", verdict)
	}
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

// signatureVerdict labels a version of a signed project's file for the
// reviewer reading git diff: who signed it, or why it must not be trusted.
// A diff never fails over it. "" for an unsigned project.
func signatureVerdict(s *store.Store, p *payload.Payload, plain []byte) string {
	if !s.IsSigned() {
		return ""
	}
	sg, err := s.SignedContext()
	if err != nil {
		return "NOT VERIFIED: " + err.Error()
	}
	err = sg.Check(p, plain)
	switch {
	case errors.Is(err, trust.ErrRollback) && p.Sig != nil:
		// History: a genuine version older than the newest one used.
		return fmt.Sprintf("signed by %s (writer of %s), seq %d, an older version", trust.QuoteName(p.Sig.Writer), p.Environment, p.Sig.Seq)
	case err != nil:
		return "NOT VERIFIED: " + err.Error()
	}
	if p.Sig == nil {
		return "NOT SIGNED (the roster still allows it unsigned)"
	}
	return fmt.Sprintf("signed by %s (writer of %s), seq %d", trust.QuoteName(p.Sig.Writer), p.Environment, p.Sig.Seq)
}
