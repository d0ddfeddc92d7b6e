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
	"github.com/envsafe/envsafe/internal/runner"
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

// runGitMerge merges the three versions by secret name (store.Merge) and
// writes the result over OURS, where git expects it. Secrets changed
// differently on both sides are kept with every side's value and reported;
// git then marks the file as conflicted until the user settles them. A file
// created on both branches is never merged by name: one of them may be a
// forgery whose only job is to add a variable.
func runGitMerge(ctx context.Context, d *Deps, basePath, oursPath, theirsPath, path string) error {
	env := strings.TrimSuffix(filepath.Base(path), ".age")
	if err := team.ValidateEnvName(env); err != nil {
		return fmt.Errorf("merge driver called for %s, which is not an environment file: %w", path, err)
	}
	s, t, id, err := d.openTeam(ctx, audited("git merge-driver"))
	if err != nil {
		return err
	}
	sg, err := s.SignedContext()
	if err != nil {
		return err
	}
	var sides [3][]byte
	for i, file := range []string{basePath, oursPath, theirsPath} {
		data, err := store.ReadFile(resolvePath(d, file))
		if err != nil && !(i == 0 && errors.Is(err, fs.ErrNotExist)) {
			return err
		}
		sides[i] = data
	}
	if sg != nil && replayed(d, s.Root(), resolvePath(d, theirsPath), path) {
		// Theirs is a version this branch already had: it brings nothing
		// new, only, perhaps, old values back. Ours stays as it is.
		d.say("envsafe: %s: the other side is an older version already in this branch's history: keeping yours", path)
		return nil
	}
	m, err := store.Merge(sides[0], sides[1], sides[2], env, id.Identity, t, sg)
	var unrelated *store.UnrelatedError
	switch {
	case errors.As(err, &unrelated):
		return unrelatedConflict(path, env, unrelated.OnlyTheirs)
	case errors.Is(err, store.ErrNotRecipient):
		return hint.With(fmt.Errorf("cannot merge %s: %w of %s", path, err, env),
			"a member of "+env+" has to do this merge; git leaves your side of the file in place")
	case err != nil:
		return fmt.Errorf("cannot merge %s: %w", path, err)
	}
	if err := atomicfile.Write(resolvePath(d, oursPath), m.File, 0o644); err != nil {
		return err
	}
	if sg != nil {
		if err := sg.Commit(); err != nil {
			return err
		}
	}
	if len(m.Dropped) > 0 {
		d.say("envsafe: %s: no longer readable by %s (removed on one branch)", path, strings.Join(m.Dropped, ", "))
	}
	if len(m.NotAdded) > 0 {
		d.say("envsafe: %s: not encrypted to %s, added on one branch only: a merge never grants; once team.yaml is merged, review it and run `envsafe sync`", path, strings.Join(m.NotAdded, ", "))
	}
	if len(m.FromTheirs) > 0 {
		d.say("envsafe: %s: from the other branch: %s", path, strings.Join(m.FromTheirs, ", "))
	}
	var loadsCode []string
	for _, name := range m.SinceBase {
		if runner.LoadsCode(name) {
			loadsCode = append(loadsCode, name)
		}
	}
	if len(loadsCode) > 0 {
		d.warn("%s: the merge sets %s, changed on a branch, which change what code programs load: check who wrote it (`git log -p -- %s`) before you run anything", path, strings.Join(loadsCode, ", "), path)
	}
	if len(m.Conflicts) == 0 {
		d.say("envsafe: merged %s by secret name", path)
		return nil
	}
	return hint.With(fmt.Errorf("%w in %s: %s changed differently on both branches (both values kept)", errMergeConflict, path, strings.Join(m.Conflicts, ", ")),
		"see each side with `envsafe get NAME -e "+env+"` and `--theirs`, settle it with `envsafe set NAME -e "+env+"`, then `git add "+path+"` and commit")
}

// unrelatedConflict leaves our file in place and lists what the other
// branch's file would have added, flagging names that load code.
func unrelatedConflict(path, env string, onlyTheirs []string) error {
	shown := make([]string, len(onlyTheirs))
	for i, n := range onlyTheirs {
		shown[i] = n
		if runner.LoadsCode(n) {
			shown[i] = n + " (loads code!)"
		}
	}
	what := "it has no name that yours lacks"
	if len(shown) > 0 {
		what = "names only theirs has: " + strings.Join(shown, ", ")
	}
	return hint.With(fmt.Errorf("%w: %s was created on both branches, so envsafe will not merge them by name (%s); your version is kept", errMergeConflict, path, what),
		"find out who wrote the other one (`git log --all -- "+path+"`); to keep yours: `git checkout --ours "+path+" && git add "+path+"`; add any real secret from theirs with `envsafe set NAME -e "+env+"`")
}

// replayed reports whether the file at theirs is, byte for byte, a version
// of path already in HEAD's history.
func replayed(d *Deps, root, theirs, path string) bool {
	if d.Git == nil {
		return false
	}
	blob, err := d.Git(root, "hash-object", "--", theirs)
	if err != nil {
		return false
	}
	id := strings.TrimSpace(string(blob))
	hist, err := d.Git(root, "log", "--raw", "--no-abbrev", "--format=", "HEAD", "--", path)
	return err == nil && id != "" && strings.Contains(string(hist), " "+id+" ")
}
