package commands

import (
	"context"
	"fmt"
	"strconv"

	"github.com/envsafe/envsafe/internal/payload"
	"github.com/urfave/cli/v2"
)

type diffOpts struct {
	a, b   string
	values bool
	json   bool
}

func newDiffCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "compare two environments: names only in one, values that differ",
		ArgsUsage: "ENV_A ENV_B",
		Description: `Prints one line per difference, by name: "< NAME" only in ENV_A, "> NAME"
only in ENV_B, "~ NAME" in both with different values. Values are shown only
with --values (with a warning when that is a terminal). Exits 0 whether or
not the environments differ; use envsafe check --against in CI.

Examples:
   envsafe diff staging production
   envsafe diff development production --json | jq -r '.only_in_b[]'
   envsafe diff staging production --values > diff.txt`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "values", Usage: "also print the values that differ"},
			&cli.BoolFlag{Name: "json", Usage: "print the comparison as JSON"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return usagef("diff", "diff takes two environments, ENV_A and ENV_B; got %s", plural(c.NArg(), "argument"))
			}
			return runDiff(c.Context, d, diffOpts{a: c.Args().Get(0), b: c.Args().Get(1), values: c.Bool("values"), json: c.Bool("json")})
		},
	}
}

// envDiff is what --json prints. Values appear only with --values.
type envDiff struct {
	A         string            `json:"a"`
	B         string            `json:"b"`
	OnlyInA   []string          `json:"only_in_a"`
	OnlyInB   []string          `json:"only_in_b"`
	Different []string          `json:"different"`
	ValuesA   map[string]string `json:"values_a,omitempty"`
	ValuesB   map[string]string `json:"values_b,omitempty"`
}

func runDiff(ctx context.Context, d *Deps, o diffOpts) error {
	if o.a == o.b {
		return usagef("diff", "name two different environments")
	}
	s, _, id, err := d.open(ctx, o.a, audited("diff"))
	if err != nil {
		return err
	}
	pa, err := s.Read(o.a, id.Identity)
	if err != nil {
		return err
	}
	if _, err := d.envName(s, o.b); err != nil {
		return err
	}
	pb, err := s.Read(o.b, id.Identity)
	if err != nil {
		return err
	}
	warnConflicts(d, pa, o.a)
	warnConflicts(d, pb, o.b)
	r := compareEnvs(o.a, o.b, pa, pb, o.values)
	if o.values && d.StdoutIsTTY {
		d.warn("secret values are on screen")
	}
	if o.json {
		return writeJSON(d, r)
	}
	w := d.Stdout
	for _, name := range r.OnlyInA {
		fmt.Fprintf(w, "< %s\n", name)
	}
	for _, name := range r.OnlyInB {
		fmt.Fprintf(w, "> %s\n", name)
	}
	for _, name := range r.Different {
		if o.values {
			fmt.Fprintf(w, "~ %s: %s -> %s\n", name, strconv.Quote(r.ValuesA[name]), strconv.Quote(r.ValuesB[name]))
		} else {
			fmt.Fprintf(w, "~ %s\n", name)
		}
	}
	if len(r.OnlyInA)+len(r.OnlyInB)+len(r.Different) == 0 {
		d.say("%s and %s hold the same names and values.", o.a, o.b)
	} else {
		d.say("%d only in %s, %d only in %s, %d different.", len(r.OnlyInA), o.a, len(r.OnlyInB), o.b, len(r.Different))
	}
	return nil
}

func compareEnvs(a, b string, pa, pb *payload.Payload, values bool) envDiff {
	r := envDiff{A: a, B: b, OnlyInA: []string{}, OnlyInB: []string{}, Different: []string{}}
	if values {
		r.ValuesA, r.ValuesB = map[string]string{}, map[string]string{}
	}
	for _, name := range pa.Names() {
		sb, ok := pb.Secrets[name]
		switch {
		case !ok:
			r.OnlyInA = append(r.OnlyInA, name)
		case sb.Value != pa.Secrets[name].Value:
			r.Different = append(r.Different, name)
			if values {
				r.ValuesA[name], r.ValuesB[name] = pa.Secrets[name].Value, sb.Value
			}
		}
	}
	for _, name := range pb.Names() {
		if _, ok := pa.Secrets[name]; !ok {
			r.OnlyInB = append(r.OnlyInB, name)
		}
	}
	return r
}
