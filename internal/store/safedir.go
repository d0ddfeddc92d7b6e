package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/envsafe/envsafe/internal/hint"
)

// ErrUnsafeProject means the nearest .envsafe folder is not one this user
// controls: another user could have planted it (a shared parent folder) to
// have this user's secrets encrypted to their key.
var ErrUnsafeProject = errors.New("refusing a project folder another user controls")

// checkSafe applies git's safe.directory rule to a project: .envsafe and
// team.yaml must be owned by this user (or root) and not writable by
// others. Windows has no such ownership model; there it checks nothing.
func checkSafe(root string) error {
	for _, path := range []string{filepath.Join(root, DirName), filepath.Join(root, DirName, TeamFile)} {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // a missing team.yaml is reported where it is read
		}
		if err != nil {
			return err
		}
		if why := unsafeReason(fi); why != "" {
			return hint.With(fmt.Errorf("%w: %s %s", ErrUnsafeProject, path, why),
				"envsafe uses only a .envsafe folder you own: run it inside your own project, or, if this one is yours, fix its owner and mode (chown, chmod o-w)")
		}
	}
	return nil
}
