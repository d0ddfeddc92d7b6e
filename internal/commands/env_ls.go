package commands

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/urfave/cli/v2"
)

func newEnvLsCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "ls",
		Usage: "list environments and their members",
		Description: `Examples:
   envsafe env ls
   envsafe env ls --json | jq -r '.[].name'`,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(c *cli.Context) error {
			return runEnvLs(c.Context, d, c.Bool("json"))
		},
	}
}

type envEntry struct {
	Name    string   `json:"name"`
	Default bool     `json:"default"`
	Members []string `json:"members"`
}

func runEnvLs(_ context.Context, d *Deps, asJSON bool) error {
	_, t, err := d.team(audited("env ls"))
	if err != nil {
		return err
	}
	entries := make([]envEntry, 0, len(t.Environments))
	for _, e := range t.Environments {
		entries = append(entries, envEntry{Name: e.Name, Default: e.Name == t.Default, Members: e.Members})
	}
	if asJSON {
		return writeJSON(d, entries)
	}
	w := tabwriter.NewWriter(d.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ENVIRONMENT\tMEMBERS")
	for _, e := range entries {
		name := e.Name
		if e.Default {
			name += " (default)"
		}
		fmt.Fprintf(w, "%s\t%s\n", name, orNone(e.Members))
	}
	return w.Flush()
}
