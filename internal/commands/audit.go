package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/envsafe/envsafe/internal/audit"
	"github.com/envsafe/envsafe/internal/team"
	"github.com/urfave/cli/v2"
)

type auditOpts struct {
	since string
	json  bool
}

func newAuditCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "audit",
		Usage: "show the local log of decryptions (which command read which secrets, when)",
		Description: `Every command that decrypts an environment (get, export, run, edit, ls,
status, diff, check, scan, log, git diff's textconv, ...) appends one line to
a log only you can read: the time, the project, the environment, the
command and the secret names it read — never a value. The log is in
$XDG_STATE_HOME/envsafe/audit.log (default ~/.local/state/envsafe; on macOS
~/Library/Logs/envsafe; on Windows %LOCALAPPDATA%\envsafe) and is rotated
to audit.log.1 past 1 MiB. Writes (set, rm, import) and re-encryptions
(member, sync, rotate) are not logged. Nothing leaves your machine.

Examples:
   envsafe audit --since 24h
   envsafe audit --since 7d --json | jq -r '.[] | select(.env == "production") | .command'`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "since", Usage: "only entries newer than `DURATION` (30m, 24h, 7d, 2w)"},
			&cli.BoolFlag{Name: "json", Usage: "print the entries as a JSON array"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("audit", "audit takes no arguments, got %q", c.Args().First())
			}
			return runAudit(c.Context, d, auditOpts{since: c.String("since"), json: c.Bool("json")})
		},
	}
}

// parseSince reads --since: team.yaml's units (h, d, w) or a Go duration.
func parseSince(s string) (time.Duration, error) {
	if d, err := team.ParseDuration(s); err == nil {
		return d, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--since %q: write a duration like 30m, 24h, 7d or 2w", s)
	}
	return d, nil
}

func runAudit(_ context.Context, d *Deps, o auditOpts) error {
	if d.Audit == nil {
		return errors.New("no audit log is kept by this build")
	}
	var since time.Time
	if o.since != "" {
		dur, err := parseSince(o.since)
		if err != nil {
			return usagef("audit", "%v", err)
		}
		since = d.Now().Add(-dur)
	}
	entries, skipped, err := d.Audit.Read(since)
	if err != nil {
		return err
	}
	if skipped > 0 {
		d.warn("%s of %s could not be read and %s left out", plural(skipped, "line"), d.Audit.Path(), map[bool]string{true: "is", false: "are"}[skipped == 1])
	}
	if o.json {
		if entries == nil {
			entries = []audit.Entry{}
		}
		for i := range entries {
			if entries[i].Names == nil {
				entries[i].Names = []string{}
			}
		}
		return writeJSON(d, entries)
	}
	if len(entries) == 0 {
		d.say("No decryptions logged%s (log: %s).", map[bool]string{true: " in the last " + o.since, false: ""}[o.since != ""], d.Audit.Path())
		return nil
	}
	w := tabwriter.NewWriter(d.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "TIME\tCOMMAND\tENV\tPROJECT\tSECRETS")
	for _, e := range entries {
		secrets := strings.Join(e.Names, ",")
		if len(e.Names) < e.Count {
			secrets = plural(e.Count, "secret")
		}
		if e.Count == 0 {
			secrets = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format("2006-01-02 15:04:05"), e.Command, e.Env, e.Project, secrets)
	}
	return w.Flush()
}
