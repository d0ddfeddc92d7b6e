package commands

import (
	"sort"
	"strings"

	"github.com/urfave/cli/v2"
)

// "Did you mean": the command or flag nearest to a typo.

// closest returns the command name nearest to a typo, if any is near.
func closest(typo string, cmds []*cli.Command) string {
	type cand struct {
		name string
		dist int
	}
	var cands []cand
	for _, c := range cmds {
		for _, n := range c.Names() {
			if d := editDistance(typo, n); d <= 2 || strings.HasPrefix(n, typo) {
				cands = append(cands, cand{c.Name, d})
			}
		}
	}
	if len(cands) == 0 {
		return ""
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].dist < cands[j].dist })
	return cands[0].name
}

// closestFlag suggests the flag nearest to a typo, as --name or -n.
func closestFlag(typo string, flags []cli.Flag) string {
	best, bestDist := "", 3
	for _, f := range flags {
		for _, n := range f.Names() {
			if d := editDistance(typo, n); d < bestDist {
				best, bestDist = n, d
			}
		}
	}
	if best == "" {
		return ""
	}
	if len(best) == 1 {
		return "-" + best
	}
	return "--" + best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
