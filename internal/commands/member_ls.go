package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/urfave/cli/v2"
)

func newMemberLsCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "ls",
		Usage: "list members, their keys and what they can read",
		Description: `Flags drift: a member team.yaml lists for an environment whose file is not
yet encrypted to them, or a key the file is still encrypted to that team.yaml
no longer lists (run envsafe sync). Drift is checked where you can decrypt.

Examples:
   envsafe member ls
   envsafe member ls --json | jq '.members[] | {name, environments}'`,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(c *cli.Context) error {
			return runMemberLs(c.Context, d, c.Bool("json"))
		},
	}
}

type memberEntry struct {
	Name         string   `json:"name"`
	Recipient    string   `json:"recipient"`
	Environments []string `json:"environments"`
	// Pending lists environments not yet re-encrypted to this member.
	Pending []string `json:"pending,omitempty"`
	You     bool     `json:"you,omitempty"`
}

type formerEntry struct {
	Recipient    string   `json:"recipient"`
	Environments []string `json:"environments"`
}

func runMemberLs(ctx context.Context, d *Deps, asJSON bool) error {
	s, t, err := d.team(audited("member ls"))
	if err != nil {
		return err
	}
	var you string
	id, idErr := d.identity(ctx)
	if idErr == nil {
		you = id.Public()
	}
	entries := make([]memberEntry, 0, len(t.Members))
	for _, m := range t.Members {
		entries = append(entries, memberEntry{Name: m.Name, Recipient: m.Recipient, Environments: t.EnvsOf(m.Name), You: m.Recipient == you})
	}
	lost := map[string][]string{}
	if idErr == nil {
		for _, env := range t.EnvNames() {
			p, err := s.Read(env, id.Identity)
			if err != nil {
				continue
			}
			drift := store.DriftOf(t, env, p)
			for i := range entries {
				if slices.Contains(drift.Gained, entries[i].Recipient) {
					entries[i].Pending = append(entries[i].Pending, env)
				}
			}
			for _, k := range drift.Lost {
				lost[k] = append(lost[k], env)
			}
		}
	}
	var former []formerEntry
	for k, envs := range lost {
		former = append(former, formerEntry{Recipient: k, Environments: envs})
	}
	slices.SortFunc(former, func(a, b formerEntry) int { return strings.Compare(a.Recipient, b.Recipient) })
	if asJSON {
		return writeJSON(d, struct {
			Members []memberEntry `json:"members"`
			Former  []formerEntry `json:"removed_but_still_encrypted_to,omitempty"`
		}{entries, former})
	}
	w := tabwriter.NewWriter(d.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tKEY\tENVIRONMENTS")
	for _, e := range entries {
		name := e.Name
		if e.You {
			name += " (you)"
		}
		envs := orNone(e.Environments)
		if len(e.Pending) > 0 {
			envs += "  [not yet re-encrypted to them: " + strings.Join(e.Pending, ", ") + "; run envsafe sync]"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", name, identity.Short(e.Recipient), envs)
	}
	for _, f := range former {
		fmt.Fprintf(w, "(removed)\t%s\t%s  [still encrypted to this key; run envsafe sync]\n", identity.Short(f.Recipient), strings.Join(f.Environments, ", "))
	}
	return w.Flush()
}
