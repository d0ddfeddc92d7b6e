package commands

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/envsafe/envsafe/internal/store"
)

// warnIfIgnored warns when the project's .gitignore would keep .envsafe/
// out of git — a common `.env*` line does — since teammates then never get
// the encrypted files. It is a plain reading of the root .gitignore only.
func warnIfIgnored(d *Deps, s *store.Store) {
	data, err := os.ReadFile(filepath.Join(s.Root(), ".gitignore"))
	if err != nil {
		return
	}
	ignored, culprit := false, ""
	for _, line := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		negate := strings.HasPrefix(line, "!")
		pattern := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(line, "!"), "/"), "/")
		if strings.Contains(pattern, "/") {
			continue
		}
		if ok, _ := filepath.Match(pattern, store.DirName); ok {
			ignored, culprit = !negate, line
		}
	}
	if ignored {
		d.warn(".gitignore line %q also ignores %s/, so git will not share your encrypted files; add a line `!%s/` after it",
			culprit, store.DirName, store.DirName)
	}
}
