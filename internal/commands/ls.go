package commands

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
	"github.com/envsafe/envsafe/internal/trust"
)

type lsOpts struct {
	env  string
	long bool
	json bool
	// personal lists the user's personal overrides instead.
	personal bool
}

func newLsCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "ls",
		Usage: "list secret names (never values)",
		Description: `Names your personal overrides replace in your runs are marked in --long
and --json, and named on stderr; --personal lists the overrides themselves.

Examples:
   envsafe ls
   envsafe ls --long -e production
   envsafe ls --json | jq -r '.[].name'
   envsafe ls --personal`,
		Flags: []cli.Flag{
			envFlag(),
			&cli.BoolFlag{Name: "long", Aliases: []string{"l"}, Usage: "also show when each secret last changed, and which are older than max_age"},
			&cli.BoolFlag{Name: "json", Usage: "print a JSON array of {name, updated}"},
			personalFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("ls", "ls takes no arguments, got %q", c.Args().First())
			}
			return runLs(c.Context, d, lsOpts{env: c.String("env"), long: c.Bool("long"), json: c.Bool("json"), personal: c.Bool("personal")})
		},
	}
}

type lsEntry struct {
	Name    string    `json:"name"`
	Updated time.Time `json:"updated"`
	// Conflict marks a secret a git merge left undecided.
	Conflict bool `json:"conflict,omitempty"`
	// Stale marks a secret older than the environment's max_age.
	Stale bool `json:"stale,omitempty"`
	// Rotate says why a secret must get a new value (member rm).
	Rotate string `json:"rotate,omitempty"`
	// Personal marks a name your personal overrides replace in your runs.
	Personal bool `json:"personal,omitempty"`
}

func runLs(ctx context.Context, d *Deps, o lsOpts) error {
	s, env, id, err := d.open(ctx, o.env, audited("ls"))
	if err != nil {
		return err
	}
	p, err := readEnv(s, env, id, o.personal)
	if err != nil {
		return err
	}
	overridden := map[string]bool{}
	if !o.personal {
		overridden = personalNames(d, s, env, id, p)
	}
	var maxAge time.Duration
	if o.long || o.json {
		if t, err := s.Team(); err == nil {
			maxAge = t.MaxAgeOf(env)
		}
	}
	entries := []lsEntry{}
	stale := 0
	for _, name := range p.Names() {
		_, conflict := p.Conflicts[name]
		e := lsEntry{Name: name, Updated: p.Secrets[name].Updated, Conflict: conflict, Stale: payload.Stale(p.Secrets[name].Updated, maxAge, d.Now()), Rotate: p.Rotate[name], Personal: overridden[name]}
		if e.Stale {
			stale++
		}
		entries = append(entries, e)
	}
	warnConflicts(d, p, env)
	switch {
	case o.json:
		return writeJSON(d, entries)
	case o.long:
		if p.Sig != nil {
			// Who vouches for this version: verified by the read above.
			d.say("%s: signed by %s (writer of %s), sequence %d.", env, trust.QuoteName(p.Sig.Writer), env, p.Sig.Seq)
		}
		w := tabwriter.NewWriter(d.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tUPDATED\tAGE")
		for _, e := range entries {
			var marks []string
			if e.Rotate != "" {
				marks = append(marks, "to rotate ("+e.Rotate+")")
			}
			if e.Personal {
				marks = append(marks, "your personal override applies")
			}
			if e.Stale {
				marks = append(marks, "stale (max_age "+team.FormatDuration(maxAge)+")")
			}
			mark := ""
			if len(marks) > 0 {
				mark = "\t" + strings.Join(marks, "; ")
			}
			fmt.Fprintf(w, "%s\t%s\t%s%s\n", e.Name, e.Updated.UTC().Format(time.RFC3339), ago(d.Now().Sub(e.Updated)), mark)
		}
		err := w.Flush()
		if stale > 0 {
			d.say("%s older than the max_age of %s: rotate, then `envsafe check` passes.", plural(stale, "secret"), env)
		}
		if n := len(p.Rotate); n > 0 {
			d.say("%s to rotate in %s: give each a new value (`envsafe rotate -e %s`), then `envsafe check` passes.", plural(n, "secret"), env, env)
		}
		return err
	default:
		for _, e := range entries {
			fmt.Fprintln(d.Stdout, e.Name)
		}
	}
	if len(entries) == 0 && o.personal {
		d.say("You have no personal overrides of %s; add one with `envsafe set --personal NAME -e %s`.", env, env)
	} else if len(entries) == 0 {
		d.say("%s holds no secrets yet; add one with `envsafe set NAME -e %s`.", env, env)
	}
	return nil
}

// ago renders a duration the way people say it: "3 days", "5 minutes".
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour")
	default:
		return plural(int(d/(24*time.Hour)), "day")
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// personalNames marks the names of p the user's personal overrides replace
// and names them on stderr, with those the overrides add. ls only lists, so
// an overrides file it cannot read is a warning (run and export refuse it).
func personalNames(d *Deps, s *store.Store, env string, id *identity.Resolved, p *payload.Payload) map[string]bool {
	own, err := s.ReadPersonal(env, id.Identity)
	if err != nil {
		d.warn("%v", err)
		return nil
	}
	marked := map[string]bool{}
	var over, added []string
	for _, name := range own.Names() {
		if _, ok := p.Secrets[name]; ok {
			marked[name] = true
			over = append(over, name)
		} else {
			added = append(added, name)
		}
	}
	if len(over) > 0 {
		d.say("Your personal overrides replace %s in your runs.", strings.Join(over, ", "))
	}
	if len(added) > 0 {
		d.say("Your personal overrides add %s in your runs.", strings.Join(added, ", "))
	}
	return marked
}
