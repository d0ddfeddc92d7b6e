package store

import (
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
)

// A monorepo holds several projects, each a folder with its own .envsafe
// (apps/api/.envsafe, apps/web/.envsafe). Each command works on the
// nearest one up from where it runs (Find); the commands that guard the
// whole repository (status, scan and its pre-commit hook, member add
// --all-projects) work on all of them (FindAll).

// RepoTop returns the top of the git work tree start is in: the nearest
// folder up holding .git. It returns "" outside a work tree.
func RepoTop(start string) string {
	dir, err := filepath.Abs(start)
	if err != nil {
		return ""
	}
	for {
		if isWorkTreeTop(dir) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// skipWalk names folders no project of ours lives in, which can be huge:
// package caches.
var skipWalk = map[string]bool{"node_modules": true, "bower_components": true, "__pycache__": true}

// Projects lists, sorted, the roots of the projects under top: every
// folder holding .envsafe. It does not follow symbolic links, nor enter
// .git, hidden folders, package caches (node_modules, ...) or
// nested work trees (submodules are repositories of their own).
func Projects(top string) ([]string, error) {
	var roots []string
	err := filepath.WalkDir(top, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			if path == top {
				return err
			}
			return filepath.SkipDir // an unreadable folder holds no project of ours
		}
		if !e.IsDir() {
			return nil
		}
		name := e.Name()
		if path != top {
			if name == DirName {
				roots = append(roots, filepath.Dir(path))
				return filepath.SkipDir
			}
			if strings.HasPrefix(name, ".") || skipWalk[name] || isWorkTreeTop(path) {
				return filepath.SkipDir
			}
		}
		return nil
	})
	sort.Strings(roots)
	return roots, err
}

// FindAll returns every project of the git work tree start is in, each
// checked as Find checks one; outside a work tree, the project Find finds.
// The list may be empty (a repository with no project).
func FindAll(start string) ([]*Store, error) {
	top := RepoTop(start)
	if top == "" {
		s, err := Find(start)
		if err != nil {
			return nil, err
		}
		return []*Store{s}, nil
	}
	roots, err := Projects(top)
	if err != nil {
		return nil, err
	}
	stores := make([]*Store, 0, len(roots))
	for _, root := range roots {
		if err := checkSafe(root); err != nil {
			return nil, err
		}
		stores = append(stores, &Store{root: root})
	}
	return stores, nil
}
