package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/envsafe/envsafe/internal/gitlog"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/urfave/cli/v2"
)

type logOpts struct {
	env    string
	name   string
	values bool
	json   bool
}

func newLogCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "log",
		Usage:     "show who changed which secrets of an environment, from git history",
		ArgsUsage: "[NAME]",
		Description: `For each commit that changed .envsafe/ENV.age (newest first, following
renames): the author, the date and the secret names added (+), changed (~)
or removed (-), found by decrypting each version in memory. Versions you
cannot decrypt are shown as such. With NAME, only the commits that changed
that secret. Values are printed only with --values.

Examples:
   envsafe log -e production
   envsafe log API_KEY
   envsafe log -e production --json | jq '.[0]'`,
		Flags: []cli.Flag{
			envFlag(),
			&cli.BoolFlag{Name: "values", Usage: "also print the values (old -> new)"},
			&cli.BoolFlag{Name: "json", Usage: "print the history as JSON"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return usagef("log", "log takes at most one NAME, got %s", plural(c.NArg(), "argument"))
			}
			return runLog(c.Context, d, logOpts{env: c.String("env"), name: c.Args().First(), values: c.Bool("values"), json: c.Bool("json")})
		},
	}
}

// logEntry is one commit of an environment's history, as printed.
type logEntry = gitlog.Entry

func runLog(ctx context.Context, d *Deps, o logOpts) error {
	if err := payload.ValidateName(o.name); o.name != "" && err != nil {
		return usagef("log", "%v", err)
	}
	s, err := d.project(audited("log"))
	if err != nil {
		return err
	}
	env, err := d.envName(s, o.env)
	if err != nil {
		return err
	}
	if d.Git == nil {
		return errors.New("git is not available")
	}
	git := func(dir string, args ...string) ([]byte, error) {
		out, err := d.Git(dir, args...)
		return out, gitError(err)
	}
	l, err := gitlog.Open(git, s.Root(), env)
	if errors.Is(err, gitlog.ErrNoCommits) {
		d.say("git has no history of %s yet (no commit on this branch).", gitlog.File(env))
		if o.json {
			_, err := fmt.Fprintln(d.Stdout, "[]")
			return err
		}
		return nil
	}
	if err != nil {
		return err
	}
	id, idErr := d.identity(ctx)
	if idErr != nil {
		d.warn("no version can be decrypted: %v", idErr)
	}
	t, _ := s.Team()
	verdict := func(p *payload.Payload, plain []byte) string { return signatureVerdict(s, p, plain) }
	h := l.Read(gitlog.Options{Name: o.name, Values: o.values, Identity: id, Team: t, Former: gitlog.FormerMembers(git, s.Root()), Verdict: verdict})
	if h.Decrypted {
		d.auditRecord(s.Root(), env, h.Names, len(h.Names), audited("log"))
	}
	if o.values && d.StdoutIsTTY {
		d.warn("secret values are on screen")
	}
	if o.json {
		if err := writeJSON(d, h.Entries); err != nil {
			return err
		}
	} else {
		if l.Len() == 0 {
			d.say("git has no history of %s yet (commit it first).", gitlog.File(env))
		}
		if err := printLog(d, h.Entries, o.values); err != nil {
			return err
		}
	}
	if idErr != nil && l.Len() > 0 {
		// The commits are listed; what they changed is not: as for every
		// command that decrypts, no identity is exit 4.
		return idErr
	}
	return nil
}

// printLog writes the history for people, in the layout of git log. It
// builds the text first so one checked write says whether stdout took it.
func printLog(d *Deps, entries []logEntry, values bool) error {
	var w strings.Builder
	for i, e := range entries {
		if i > 0 {
			fmt.Fprintln(&w)
		}
		merge := ""
		if e.Merge {
			merge = "  (merge)"
		}
		fmt.Fprintf(&w, "commit %s  %s  %s <%s>%s\n", shortCommit(e.Commit), e.Date.Format("2006-01-02 15:04 -07:00"), printable(e.Author), printable(e.Email), merge)
		if e.Subject != "" {
			fmt.Fprintf(&w, "    %s\n", printable(e.Subject))
		}
		if !e.Readable {
			fmt.Fprintf(&w, "    (%s)\n", e.Error)
			continue
		}
		if e.Signature != "" {
			fmt.Fprintf(&w, "    %s\n", e.Signature)
		}
		if e.Before != "" {
			fmt.Fprintf(&w, "    (the version before cannot be read: %s; so what changed is unknown: this version holds %s)\n", e.Before, strings.Join(e.Holds, ", "))
			continue
		}
		show := func(sign string, names []string, val func(string) string) {
			for _, n := range names {
				if values {
					n += ": " + val(n)
				}
				fmt.Fprintf(&w, "    %s %s\n", sign, n)
			}
		}
		show("+", e.Added, func(n string) string { return strconv.Quote(e.New[n]) })
		show("~", e.Changed, func(n string) string { return strconv.Quote(e.Old[n]) + " -> " + strconv.Quote(e.New[n]) })
		show("-", e.Removed, func(n string) string { return strconv.Quote(e.Old[n]) })
		var parts []string
		for i, list := range [][]string{e.RecipientsAdded, e.RecipientsRemoved} {
			for _, m := range list {
				parts = append(parts, []string{"+ ", "- "}[i]+m)
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(&w, "    recipients: %s\n", strings.Join(parts, ", "))
		}
		if len(e.Added)+len(e.Changed)+len(e.Removed)+len(parts) == 0 {
			fmt.Fprintln(&w, "    (re-encrypted; no secret changed)")
		}
	}
	_, err := io.WriteString(d.Stdout, w.String())
	return err
}

// printable replaces the control characters of text from git (a commit
// subject, an author name: anyone who can push wrote them), so that they
// cannot move the cursor or rewrite lines of the report.
func printable(text string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, text)
}
