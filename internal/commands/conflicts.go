package commands

import (
	"fmt"
	"strings"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/payload"
)

// refuseConflicts stops commands that hand over a whole environment (run,
// export) while a merge left some secrets undecided: either value could be
// the wrong one.
func refuseConflicts(p *payload.Payload, env string) error {
	names := p.ConflictNames()
	if len(names) == 0 {
		return nil
	}
	return hint.With(fmt.Errorf("a git merge left %s undecided in %s", strings.Join(names, ", "), env),
		"see both sides with `envsafe get NAME -e "+env+"` and `--theirs`, then settle each with `envsafe set NAME -e "+env+"` (or `envsafe rm NAME`) and `git add` the file")
}

// warnConflicts tells the user, on stderr, what a merge left to settle.
func warnConflicts(d *Deps, p *payload.Payload, env string) {
	if names := p.ConflictNames(); len(names) > 0 {
		d.warn("a git merge left %s undecided in %s: settle each with `envsafe set NAME -e %s`", strings.Join(names, ", "), env, env)
	}
}
