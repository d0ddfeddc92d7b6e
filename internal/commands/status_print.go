package commands

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/store"
)

// printStatus writes a status report for people; --json prints the report itself.

func printStatus(d *Deps, r statusReport) {
	w := tabwriter.NewWriter(d.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "project\t%s\n", r.Project)
	if r.Identity.Error != "" {
		fmt.Fprintf(w, "identity\tnone: %s\n", r.Identity.Error)
	} else {
		member := "not a member of team.yaml"
		if r.Identity.Member != "" {
			member = "member " + r.Identity.Member
		}
		fmt.Fprintf(w, "identity\t%s (%s), from %s\n", identity.Short(r.Identity.Public), member, r.Identity.Source)
	}
	if r.Keychain.Available {
		fmt.Fprintf(w, "keychain\t%s, available\n", r.Keychain.Backend)
	} else {
		fmt.Fprintf(w, "keychain\t%s, unavailable: %s\n", r.Keychain.Backend, r.Keychain.Error)
	}
	switch sg := r.Signed; {
	case sg == nil:
		fmt.Fprintf(w, "signatures	not signed (`envsafe trust init` signs the project)\n")
	case sg.Error != "":
		fmt.Fprintf(w, "signatures	NOT VERIFIED: %s\n", sg.Error)
	default:
		fmt.Fprintf(w, "signatures	signed roster version %d verified (admins: %s)\n", sg.RosterVersion, sg.Admins)
		for _, line := range sg.Proposal {
			fmt.Fprintf(w, "proposal	%s (team.yaml, not signed: an admin runs `envsafe trust apply`)\n", line)
		}
		if sg.AdminChange {
			fmt.Fprintf(w, "proposal	a change of admins waits for signatures (.envsafe/%s): `envsafe trust admin sign`\n", store.PendingAdminsFile)
		}
	}
	w.Flush()
	fmt.Fprintln(d.Stdout, "environments:")
	w = tabwriter.NewWriter(d.Stdout, 0, 0, 2, ' ', 0)
	for _, e := range r.Environments {
		name := e.Name
		if name == r.Default {
			name += " (default)"
		}
		switch {
		case e.Error != "":
			fmt.Fprintf(w, "  %s\tcannot decrypt: %s\n", name, e.Error)
		case len(e.Conflicts) > 0:
			fmt.Fprintf(w, "  %s\t%s\tmerge conflicts to settle: %s\n", name, plural(e.Secrets, "secret"), strings.Join(e.Conflicts, ", "))
		case !e.InSync:
			var drift []string
			if len(e.Gained) > 0 {
				drift = append(drift, "team.yaml adds "+strings.Join(e.Gained, ", "))
			}
			if len(e.Lost) > 0 {
				drift = append(drift, "team.yaml removes "+strings.Join(e.Lost, ", "))
			}
			fmt.Fprintf(w, "  %s\t%s\tout of date: %s; run envsafe sync\n", name, plural(e.Secrets, "secret"), strings.Join(drift, "; "))
		default:
			fmt.Fprintf(w, "  %s\t%s\trecipients match team.yaml\n", name, plural(e.Secrets, "secret"))
		}
	}
	w.Flush()
}
