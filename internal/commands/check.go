package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
)

type checkOpts struct {
	envs    []string
	against string
	json    bool
}

func newCheckCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "fail when secrets are stale, missing or out of step with team.yaml (for CI)",
		Description: `Checks each environment (all of them, or those named with -e) for:
   stale      a secret unchanged for longer than the environment's max_age
              in team.yaml (max_age: {production: 90d}; units h, d, w)
   missing    a name that the --against environment has and this one lacks
   drift      the file's recipients differ from team.yaml (run envsafe sync)
   conflict   a secret a git merge left undecided
Environments you cannot decrypt are skipped with a note, unless named with
-e. Output is sorted and stable, one problem per line on stdout.
Exit status: 0 no problems, 1 problems found, 3 a named environment
cannot be decrypted, 4 no identity, 5 a damaged file.

Examples:
   envsafe check
   envsafe check -e staging --against production
   envsafe check -e production --json`,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "environment `NAME` to check (repeatable; default: all)"},
			&cli.StringFlag{Name: "against", Usage: "report names that environment `NAME` has and the checked ones lack"},
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("check", "check takes no arguments, got %q (name environments with -e)", c.Args().First())
			}
			return runCheck(c.Context, d, checkOpts{envs: splitFlagList(c.StringSlice("env")), against: c.String("against"), json: c.Bool("json")})
		},
	}
}

// splitFlagList accepts -e a -e b and -e a,b alike.
func splitFlagList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" && !slices.Contains(out, part) {
				out = append(out, part)
			}
		}
	}
	return out
}

// checkReport is what --json prints.
type checkReport struct {
	Environments []checkEnv `json:"environments"`
	// Unchecked are environments skipped because you cannot decrypt them.
	Unchecked []string `json:"unchecked"`
	Against   string   `json:"against,omitempty"`
	// Proposal lists team.yaml's changes no admin signed (signed projects).
	Proposal []string `json:"proposal,omitempty"`
	Problems int      `json:"problems"`
}

type checkEnv struct {
	Name    string       `json:"name"`
	Secrets int          `json:"secrets"`
	MaxAge  string       `json:"max_age,omitempty"`
	Stale   []staleEntry `json:"stale"`
	Missing []string     `json:"missing"`
	// Gained and Lost are the members team.yaml adds or removes compared
	// with whom the file is encrypted to.
	Gained    []string `json:"gained"`
	Lost      []string `json:"lost"`
	Conflicts []string `json:"conflicts"`
	// Rotate lists the secrets marked to rotate (member rm).
	Rotate []rotateEntry `json:"rotate"`
	// HiddenKeys counts keys the file is encrypted to beyond those it
	// records (an insider's re-encryption outside envsafe).
	HiddenKeys int `json:"hidden_keys,omitempty"`
}

// rotateEntry is a secret marked to rotate, and why.
type rotateEntry struct {
	Name string `json:"name"`
	Why  string `json:"why"`
}

type staleEntry struct {
	Name    string    `json:"name"`
	Updated time.Time `json:"updated"`
}

func (e checkEnv) problems() int {
	n := len(e.Stale) + len(e.Missing) + len(e.Conflicts) + len(e.Rotate) + min(e.HiddenKeys, 1)
	if len(e.Gained)+len(e.Lost) > 0 {
		n++
	}
	return n
}

func runCheck(ctx context.Context, d *Deps, o checkOpts) error {
	s, t, err := d.team(audited("check"))
	if err != nil {
		return err
	}
	unlisted := t.UnlistedMaxAge()
	t, proposal, err := signedView(s, t)
	if err != nil {
		return err
	}
	named := len(o.envs) > 0
	envs := o.envs
	if !named {
		envs = t.EnvNames()
	}
	for _, env := range append(slices.Clone(envs), o.against) {
		if env == "" {
			continue
		}
		if err := team.ValidateEnvName(env); err != nil {
			return usagef("check", "%v", err)
		}
		if _, ok := t.Env(env); !ok {
			return hint.With(fmt.Errorf("%w %q", store.ErrNoEnvironment, env), "this project has: "+strings.Join(t.EnvNames(), ", "))
		}
	}
	id, err := d.identity(ctx)
	if err != nil {
		return err
	}
	var against *payload.Payload
	if o.against != "" {
		if against, err = s.Read(o.against, id.Identity); err != nil {
			return err
		}
	}
	r := checkReport{Environments: []checkEnv{}, Unchecked: []string{}, Against: o.against, Proposal: proposal}
	if len(proposal) > 0 {
		r.Problems++
	}
	now := d.Now()
	for _, env := range envs {
		p, err := s.Read(env, id.Identity)
		if errors.Is(err, store.ErrNotRecipient) && !named {
			r.Unchecked = append(r.Unchecked, env)
			continue
		}
		if err != nil {
			return err
		}
		e := checkEnvironment(t, env, p, now)
		if e.HiddenKeys, err = s.HiddenKeys(env, len(p.Recipients)); err != nil {
			return err
		}
		if against != nil && env != o.against {
			for _, name := range against.Names() {
				if _, ok := p.Secrets[name]; !ok {
					e.Missing = append(e.Missing, name)
				}
			}
		}
		r.Problems += e.problems()
		r.Environments = append(r.Environments, e)
	}
	if len(r.Environments) == 0 {
		return hint.With(fmt.Errorf("%w of any environment: nothing was checked", store.ErrNotRecipient),
			"check runs as a member: give this identity access, or name environments it can read with -e")
	}
	if o.json {
		if err := writeJSON(d, r); err != nil {
			return err
		}
	} else {
		for _, line := range r.Proposal {
			fmt.Fprintf(d.Stdout, "team.yaml: not signed: %s\n", line)
		}
		printCheck(d, r)
	}
	if len(unlisted) > 0 {
		d.say("Note: team.yaml's max_age names %s, not an environment of this project: no limit applies until it is one.", strings.Join(unlisted, ", "))
	}
	if len(r.Unchecked) > 0 {
		d.say("Not checked (you cannot decrypt them): %s.", strings.Join(r.Unchecked, ", "))
	}
	var checked, failed []string
	for _, e := range r.Environments {
		checked = append(checked, e.Name)
		if e.problems() > 0 {
			failed = append(failed, e.Name)
		}
	}
	if r.Problems == 0 {
		d.say("No problems in %s.", strings.Join(checked, ", "))
		return nil
	}
	return &findingsError{summary: fmt.Sprintf("check: %s in %s", plural(r.Problems, "problem"), strings.Join(failed, ", "))}
}

// checkEnvironment finds what is wrong with one decrypted environment.
func checkEnvironment(t *team.Team, env string, p *payload.Payload, now time.Time) checkEnv {
	e := checkEnv{Name: env, Secrets: len(p.Secrets), Stale: []staleEntry{}, Missing: []string{}, Gained: []string{}, Lost: []string{}, Conflicts: p.ConflictNames(), Rotate: []rotateEntry{}}
	for _, name := range p.ToRotate() {
		e.Rotate = append(e.Rotate, rotateEntry{Name: name, Why: p.Rotate[name]})
	}
	if maxAge := t.MaxAgeOf(env); maxAge > 0 {
		e.MaxAge = team.FormatDuration(maxAge)
		for _, name := range p.StaleNames(maxAge, now) {
			e.Stale = append(e.Stale, staleEntry{Name: name, Updated: p.Secrets[name].Updated.UTC()})
		}
	}
	drift := store.DriftOf(t, env, p)
	e.Gained, e.Lost = memberNamesOf(t, drift.Gained), memberNamesOf(t, drift.Lost)
	return e
}

// memberNamesOf names public keys by their member, or shortened.
func memberNamesOf(t *team.Team, keys []string) []string {
	out := []string{}
	for _, k := range keys {
		if m, ok := t.MemberByRecipient(k); ok {
			out = append(out, m)
		} else {
			out = append(out, "former member "+identity.Short(k))
		}
	}
	return out
}
