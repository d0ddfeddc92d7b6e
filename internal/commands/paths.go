package commands

import "path/filepath"

// resolvePath makes a user-given path relative to the working directory in
// Deps rather than the process's, so tests and `run` agree on where it is.
func resolvePath(d *Deps, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(d.Dir, path)
}
