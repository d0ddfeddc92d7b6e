package commands

import (
	"fmt"
	"strings"
)

// printCheck writes one line per problem, grouped by environment.
func printCheck(d *Deps, r checkReport) {
	w := d.Stdout
	for _, e := range r.Environments {
		for _, st := range e.Stale {
			fmt.Fprintf(w, "%s: stale: %s (last changed %s; max_age %s)\n", e.Name, st.Name, st.Updated.Format("2006-01-02"), e.MaxAge)
		}
		for _, name := range e.Missing {
			fmt.Fprintf(w, "%s: missing: %s (in %s)\n", e.Name, name, r.Against)
		}
		if len(e.Gained)+len(e.Lost) > 0 {
			var parts []string
			if len(e.Gained) > 0 {
				parts = append(parts, "team.yaml adds "+strings.Join(e.Gained, ", "))
			}
			if len(e.Lost) > 0 {
				parts = append(parts, "team.yaml removes "+strings.Join(e.Lost, ", "))
			}
			fmt.Fprintf(w, "%s: drift: %s; run envsafe sync\n", e.Name, strings.Join(parts, "; "))
		}
		for _, r := range e.Rotate {
			fmt.Fprintf(w, "%s: to rotate: %s (%s)\n", e.Name, r.Name, r.Why)
		}
		for _, name := range e.Conflicts {
			fmt.Fprintf(w, "%s: conflict: %s (undecided after a git merge)\n", e.Name, name)
		}
		if e.HiddenKeys > 0 {
			fmt.Fprintf(w, "%s: encrypted to %d more key(s) than it records: someone re-encrypted it outside envsafe; find who (`git log -p -- .envsafe/%s.age`), rotate what it holds, then `envsafe rekey -e %s`\n", e.Name, e.HiddenKeys, e.Name, e.Name)
		}
	}
}
