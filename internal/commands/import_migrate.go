package commands

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/envsafe/envsafe/internal/dotenv"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/migrate"
)

// migration is what one sops or dotenvx file gave, for the report.
type migration struct {
	label, source string
	pairs         []dotenv.Pair
	// old are the tool's files to delete once the import is checked: the
	// file itself; leftovers its keys and rules (.env.keys, .sops.yaml).
	old, leftovers []string
	// clear names the values the file held unencrypted; unchecked says no
	// MAC covered them either (migrate.Result).
	clear     []string
	unchecked bool
}

// decodeForeign decrypts a sops or dotenvx file in memory through the
// migrate package: sops with the identity the environment opens with,
// dotenvx with DOTENV_PRIVATE_KEY* from the environment or the .env.keys
// beside the file. root bounds the search for .sops.yaml.
func decodeForeign(d *Deps, f importFile, id *identity.Resolved, root string) (*migration, error) {
	var res *migrate.Result
	var err error
	abs := ""
	if f.arg != "-" {
		abs = resolvePath(d, f.arg)
	}
	switch f.kind {
	case migrate.Sops:
		res, err = migrate.ReadSops(f.label, f.data, id.Identity)
	case migrate.Dotenvx:
		keys := migrate.DotenvxKeys{Lookup: d.LookupEnv}
		if abs != "" {
			data, err := readFileLimited(filepath.Join(filepath.Dir(abs), migrate.DotenvxKeysFile), maxImportSize)
			switch {
			case err == nil:
				keys.File, keys.FileName = data, filepath.Join(filepath.Dir(f.arg), migrate.DotenvxKeysFile)
			case !errors.Is(err, fs.ErrNotExist):
				return nil, err
			}
		}
		res, err = migrate.ReadDotenvx(f.label, f.data, keys)
	}
	if err != nil {
		return nil, err
	}
	m := &migration{label: f.label, source: res.Source, pairs: res.Pairs, clear: res.Clear, unchecked: res.Unchecked}
	if abs == "" {
		return m, nil
	}
	m.old = []string{f.arg}
	exists := func(p string) bool { _, err := os.Stat(filepath.FromSlash(p)); return err == nil }
	for _, l := range migrate.Leftovers(f.kind, filepath.ToSlash(abs), filepath.ToSlash(root), exists) {
		shown := filepath.FromSlash(l)
		if rel, err := filepath.Rel(d.Dir, shown); err == nil && !strings.HasPrefix(rel, "..") {
			shown = rel
		}
		m.leftovers = append(m.leftovers, shown)
	}
	return m, nil
}

// reportMigrations says, by name only, what came from which tool, and
// what to delete once `envsafe ls` shows it: the old encrypted files (a
// second copy of every secret, readable by whoever holds their keys), the
// dotenvx private keys and the sops creation rules.
func reportMigrations(d *Deps, ms []migration) {
	var old, leftovers []string
	for _, m := range ms {
		names := make([]string, len(m.pairs))
		for i, p := range m.pairs {
			names[i] = p.Name
		}
		d.say("Migrated from %s, %s: %s.", m.source, m.label, strings.Join(names, ", "))
		if len(m.clear) > 0 {
			// Values the old tool kept in clear could have been written by
			// anyone who could change the file, unnoticed where no MAC
			// covers them: they are named for a look before they are used.
			covered := "covered by its MAC"
			if m.unchecked {
				covered = "not covered by any MAC (anyone who could change the file could have written them)"
			}
			d.warn("%s held these values unencrypted, %s: %s; check them with `envsafe get NAME`", m.label, covered, strings.Join(m.clear, ", "))
		}
		old = append(old, m.old...)
		for _, l := range m.leftovers {
			if !slices.Contains(leftovers, l) {
				leftovers = append(leftovers, l)
			}
		}
	}
	if len(old) == 0 && len(leftovers) == 0 {
		return
	}
	d.say("Nothing decrypted was written to disk. Check with `envsafe ls`, then delete what the old tool kept:")
	if len(old) > 0 {
		d.say("  git rm %s   (they still hold the same secrets, for whoever has their keys)", strings.Join(old, " "))
	}
	for _, l := range leftovers {
		switch filepath.Base(l) {
		case migrate.DotenvxKeysFile:
			d.say("  rm %s   (dotenvx's private keys; keep it only while another file still needs it)", l)
		default:
			d.say("  %s: remove the creation rules for these files (or the file, if nothing else uses sops)", l)
		}
	}
}

// plainFiles lists the FILE arguments that were plaintext .env files.
func plainFiles(files []importFile) []string {
	var out []string
	for _, f := range files {
		if f.kind == migrate.Plain {
			out = append(out, f.arg)
		}
	}
	return out
}
