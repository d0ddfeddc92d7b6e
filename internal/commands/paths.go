package commands

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/envsafe/envsafe/internal/atomicfile"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/store"
)

// resolvePath makes a user-given path relative to the working directory in
// Deps rather than the process's, so tests and `run` agree on where it is.
func resolvePath(d *Deps, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(d.Dir, path)
}

// writeSecretFile writes decrypted data or a key to path with mode 0600,
// atomically. Without force it never replaces a file, even one created
// between a check and the write (the no-replace write is the check).
func writeSecretFile(path, shown string, data []byte, force bool) error {
	if force {
		return atomicfile.Write(path, data, 0o600)
	}
	err := atomicfile.WriteNew(path, data, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return hint.With(fmt.Errorf("%s already exists", shown), "pass --force to replace it, or choose another file")
	}
	return err
}

// warnKeyInProject warns when a secret key file was written inside an
// envsafe project (or its git work tree), where one `git add -A` would
// commit the key that opens every environment.
func (d *Deps) warnKeyInProject(path string) {
	s, err := store.Find(filepath.Dir(path))
	if err != nil {
		return
	}
	rel, err := filepath.Rel(s.Root(), path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return
	}
	d.warn("%s is inside the project at %s: one `git add -A` would commit your secret key; move it out (or at least add it to .gitignore)", filepath.ToSlash(rel), s.Root())
}

// changeDir applies git's -C: each "-C DIR" (or -C=DIR) before the command
// changes the folder envsafe works from, relative to the previous one, so
// `envsafe -C apps/api run -- make` works on apps/api's project from the
// repository root. It returns the folder and args without those options.
func changeDir(dir string, args []string) (string, []string, error) {
	if len(args) < 2 {
		return dir, args, nil
	}
	rest := args[1:]
	for len(rest) > 0 {
		var target string
		switch a := rest[0]; {
		case a == "-C" || a == "--C":
			if len(rest) < 2 {
				return dir, args, usagef("", "-C needs a folder: envsafe -C DIR COMMAND")
			}
			target, rest = rest[1], rest[2:]
		case strings.HasPrefix(a, "-C="), strings.HasPrefix(a, "--C="):
			target, rest = a[strings.Index(a, "=")+1:], rest[1:]
		default:
			return dir, append([]string{args[0]}, rest...), nil
		}
		if target == "" {
			continue // as git: an empty -C changes nothing
		}
		next := target
		if !filepath.IsAbs(next) {
			next = filepath.Join(dir, next)
		}
		fi, err := os.Stat(next)
		if err != nil || !fi.IsDir() {
			return dir, args, usagef("", "-C %s: no such folder", target)
		}
		dir = next
	}
	return dir, append([]string{args[0]}, rest...), nil
}

// projectLabel names a project of a monorepo by its folder from the
// repository's top ("apps/api"; "." for a project at the top).
func projectLabel(s *store.Store) string {
	top := store.RepoTop(s.Root())
	if top == "" {
		return s.Root()
	}
	rel, err := filepath.Rel(top, s.Root())
	if err != nil {
		return s.Root()
	}
	return filepath.ToSlash(rel)
}
