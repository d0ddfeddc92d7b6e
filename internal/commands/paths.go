package commands

import (
	"errors"
	"fmt"
	"io/fs"
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
