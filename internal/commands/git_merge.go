package commands

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/envsafe/envsafe/internal/atomicfile"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
	"github.com/urfave/cli/v2"
)

// errMergeConflict makes the merge driver exit non-zero, which is how git
// learns that a file needs the user.
var errMergeConflict = errors.New("merge conflict")

func newGitMergeDriverCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "merge-driver",
		Usage:     "three-way merge of an environment file (called by git)",
		ArgsUsage: "BASE OURS THEIRS PATH",
		Hidden:    true,
		Action: func(c *cli.Context) error {
			if c.NArg() != 4 {
				return usagef("git merge-driver", "git merge-driver takes BASE OURS THEIRS PATH (%%O %%A %%B %%P)")
			}
			a := c.Args().Slice()
			return runGitMerge(c.Context, d, a[0], a[1], a[2], a[3])
		},
	}
}

// runGitMerge decrypts the three versions in memory, merges them by secret
// name and writes the result, encrypted to the recipients team.yaml lists
// now, over OURS — where git expects the result. Secrets changed differently
// on both sides are recorded with every side's value and reported; git then
// marks the file as conflicted until the user settles them with envsafe set.
func runGitMerge(ctx context.Context, d *Deps, basePath, oursPath, theirsPath, path string) error {
	env := strings.TrimSuffix(filepath.Base(path), ".age")
	if err := team.ValidateEnvName(env); err != nil {
		return fmt.Errorf("merge driver called for %s, which is not an environment file: %w", path, err)
	}
	_, t, id, err := d.openTeam(ctx)
	if err != nil {
		return err
	}
	load := func(file string, optional bool) (*payload.Payload, error) {
		data, err := store.ReadFile(resolvePath(d, file))
		if optional && (errors.Is(err, fs.ErrNotExist) || (err == nil && len(data) == 0)) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		p, _, err := store.OpenFile(data, env, id.Identity)
		if errors.Is(err, store.ErrNotRecipient) {
			return nil, hint.With(fmt.Errorf("cannot merge %s: %w of %s", path, err, env),
				"a member of "+env+" has to do this merge; git leaves your side of the file in place")
		}
		if err != nil {
			return nil, fmt.Errorf("cannot merge %s: %w", path, err)
		}
		return p, nil
	}
	base, err := load(basePath, true)
	if err != nil {
		return err
	}
	ours, err := load(oursPath, false)
	if err != nil {
		return err
	}
	theirs, err := load(theirsPath, false)
	if err != nil {
		return err
	}
	merged, conflicts := payload.Merge(base, ours, theirs)
	file, err := store.SealFile(t, env, merged, nil)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(resolvePath(d, oursPath), file, 0o644); err != nil {
		return err
	}
	if len(conflicts) == 0 {
		d.say("envsafe: merged %s by secret name", path)
		return nil
	}
	return hint.With(fmt.Errorf("%w in %s: %s changed differently on both branches (both values kept)", errMergeConflict, path, strings.Join(conflicts, ", ")),
		"see each side with `envsafe get NAME -e "+env+"` and `--theirs`, settle it with `envsafe set NAME -e "+env+"`, then `git add "+path+"` and commit")
}
