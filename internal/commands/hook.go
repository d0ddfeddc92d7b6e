package commands

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/envsafe/envsafe/internal/atomicfile"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/shellquote"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/urfave/cli/v2"
)

// hookMarker identifies a pre-commit hook envsafe wrote, so installing
// again rewrites it instead of chaining it to itself.
const hookMarker = "# envsafe-hook v1"

// chainedHook is the name an existing pre-commit hook is kept under; the
// envsafe hook runs it first.
const chainedHook = "pre-commit.local"

func newHookCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "hook",
		Usage: "install a git pre-commit hook that blocks commits containing secrets",
		Description: `envsafe hook install writes a pre-commit hook (in .git/hooks, or core.hooksPath
when set) that runs "envsafe scan --staged" and stops the commit when it finds
a secret. An existing pre-commit hook is kept as pre-commit.local and runs
first. Running it again only updates envsafe's hook. Skip the hook for one
commit with git commit --no-verify.

Examples:
   envsafe hook install`,
		Subcommands: []*cli.Command{{
			Name:  "install",
			Usage: "install (or update) the pre-commit hook in this clone",
			Description: `Examples:
   envsafe hook install
   git commit -m "..."      # now runs envsafe scan --staged first`,
			Action: func(c *cli.Context) error {
				if c.NArg() > 0 {
					return usagef("hook install", "hook install takes no arguments, got %q", c.Args().First())
				}
				return runHookInstall(c.Context, d)
			},
		}},
	}
}

func runHookInstall(_ context.Context, d *Deps) error {
	s, err := d.project(audited("hook install"))
	if err != nil {
		return err
	}
	h, err := findHook(d, s.Root())
	if err != nil {
		return err
	}
	return installHook(d, h)
}

// hookPlace is where the pre-commit hook of a project's repository lives
// and what it should contain.
type hookPlace struct {
	dir    string // the hooks folder
	path   string // dir/pre-commit
	script []byte
}

// findHook works out the hooks folder git uses (core.hooksPath honoured)
// and the hook for this project, which may be in a subfolder of the repo.
func findHook(d *Deps, root string) (*hookPlace, error) {
	if d.Git == nil {
		return nil, errors.New("git is not available")
	}
	out, err := d.Git(root, "rev-parse", "--git-path", "hooks", "--show-prefix")
	if err != nil {
		return nil, hint.With(fmt.Errorf("%s is not inside a git repository", root), "run `git init` first")
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	dir := strings.TrimSpace(lines[0])
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	prefix := ""
	if len(lines) > 1 {
		prefix = strings.TrimSuffix(strings.TrimSpace(lines[1]), "/")
	}
	return &hookPlace{dir: dir, path: filepath.Join(dir, "pre-commit"), script: hookScript(d.SelfCommand(), prefix)}, nil
}

// hookScript is the hook itself: POSIX sh, run by git from the top of the
// work tree.
func hookScript(self, prefix string) []byte {
	var b bytes.Buffer
	b.WriteString("#!/bin/sh\n")
	b.WriteString(hookMarker + "\n")
	b.WriteString("# Installed by `envsafe hook install`: stops a commit that adds a secret\n")
	b.WriteString("# (this project's own values, credential shapes, .env files). To commit\n")
	b.WriteString("# anyway, once: git commit --no-verify\n")
	b.WriteString("hooks=$(dirname \"$0\")\n")
	b.WriteString("if [ -x \"$hooks/" + chainedHook + "\" ]; then\n")
	b.WriteString("\t\"$hooks/" + chainedHook + "\" \"$@\" || exit $?\n")
	b.WriteString("fi\n")
	if prefix != "" {
		b.WriteString("cd " + shellquote.Quote(prefix) + " || exit 1\n")
	}
	b.WriteString("if ! command -v " + shellquote.Quote(self) + " >/dev/null 2>&1; then\n")
	b.WriteString("\techo 'envsafe pre-commit hook: envsafe is not installed or not on PATH; install it, or commit with --no-verify' >&2\n")
	b.WriteString("\texit 1\n")
	b.WriteString("fi\n")
	b.WriteString("exec " + shellquote.Quote(self) + " scan --staged\n")
	return b.Bytes()
}

// installHook writes the hook, keeping a foreign pre-commit hook as
// pre-commit.local. It is idempotent.
func installHook(d *Deps, h *hookPlace) error {
	current, err := os.ReadFile(h.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(h.dir, 0o755); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("reading %s: %w", h.path, err)
	case bytes.Equal(current, h.script):
		d.say("The envsafe pre-commit hook is already installed (%s).", h.path)
		return nil
	case bytes.Contains(current, []byte(hookMarker)):
		// ours, from another envsafe path or version: rewrite below
	default:
		local := filepath.Join(h.dir, chainedHook)
		if _, err := os.Lstat(local); err == nil {
			return hint.With(fmt.Errorf("%s exists and so does %s, where envsafe would keep it", h.path, local),
				"merge the two by hand into "+chainedHook+", remove pre-commit, then run `envsafe hook install` again")
		}
		if err := os.Rename(h.path, local); err != nil {
			return err
		}
		d.say("Kept your existing pre-commit hook as %s; envsafe's hook runs it first.", local)
	}
	if err := atomicfile.Write(h.path, h.script, 0o755); err != nil {
		return err
	}
	d.say("Installed the envsafe pre-commit hook (%s): commits that add a secret are stopped.", h.path)
	return nil
}

// hookInstalled reports whether the project's repository has envsafe's
// hook; false also when it is not a git repository.
func hookInstalled(d *Deps, root string) (*hookPlace, bool) {
	h, err := findHook(d, root)
	if err != nil {
		return nil, true // nothing to offer outside git
	}
	current, err := os.ReadFile(h.path)
	return h, err == nil && bytes.Contains(current, []byte(hookMarker))
}

// offerHook suggests the hook where it is missing: a yes/no question on a
// terminal, a one-line tip otherwise. Used by init and import.
func offerHook(d *Deps, s *store.Store) error {
	if d.Git == nil {
		return nil
	}
	h, installed := hookInstalled(d, s.Root())
	if installed {
		return nil
	}
	if !d.StdinIsTTY {
		d.say("Tip: `envsafe hook install` adds a git pre-commit hook that stops commits containing secrets.")
		return nil
	}
	ok, err := d.Prompter.Confirm("Install a git pre-commit hook that stops commits containing secrets")
	if err != nil || !ok {
		return err
	}
	return installHook(d, h)
}

// offerGitSetup suggests `envsafe git setup` in a clone that lacks the
// drivers (every clone needs it once: git config is not committed): a
// yes/no question on a terminal, the command otherwise. Without it, git
// merges environment files as text and leaves a conflict no one can read.
func offerGitSetup(ctx context.Context, d *Deps, s *store.Store) error {
	if d.Git == nil {
		return nil
	}
	if _, err := d.Git(s.Root(), "rev-parse", "--git-dir"); err != nil {
		return nil
	}
	if out, _ := d.Git(s.Root(), "config", "--local", "--get", "merge.envsafe.driver"); len(bytes.TrimSpace(out)) > 0 {
		return nil
	}
	if !d.StdinIsTTY {
		d.say("This clone has no envsafe git drivers yet: run `envsafe git setup` (readable diffs; merges by secret name).")
		return nil
	}
	ok, err := d.Prompter.Confirm("Set up envsafe's git diff and merge drivers in this clone (envsafe git setup)")
	if err != nil || !ok {
		return err
	}
	return runGitSetup(ctx, d)
}
