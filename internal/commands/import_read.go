package commands

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/envsafe/envsafe/internal/dotenv"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/migrate"
)

// importFile is one FILE argument, read but not yet decoded.
type importFile struct {
	arg, label string
	data       []byte
	kind       migrate.Kind
}

// readImportFiles reads every file (- once, from stdin) before anything is
// decoded or written, and tells which were encrypted by sops or dotenvx.
func readImportFiles(d *Deps, files []string) ([]importFile, error) {
	var out []importFile
	stdinUsed := false
	for _, file := range files {
		var data []byte
		var err error
		label := file
		if file == "-" {
			if stdinUsed {
				return nil, usagef("import", "- (stdin) can be given only once")
			}
			stdinUsed, label = true, "stdin"
			data, err = io.ReadAll(io.LimitReader(d.Stdin, maxImportSize+1))
		} else {
			data, err = readFileLimited(resolvePath(d, file), maxImportSize)
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, hint.With(fmt.Errorf("no file %s", file), "name the file to import: `envsafe import path/to/.env`, or - for stdin")
		}
		if err != nil {
			return nil, err
		}
		if len(data) > maxImportSize {
			return nil, fmt.Errorf("%s is over the %d MiB limit for a .env file", label, maxImportSize>>20)
		}
		out = append(out, importFile{arg: file, label: label, data: data, kind: migrate.Detect(data)})
	}
	return out, nil
}

// decodeImportFiles parses or decrypts every file and returns the values,
// the names in order, a warning (FILE:LINE: NAME: ...) for each value read
// differently elsewhere, and what came from sops or dotenvx. The same name
// with different values in two files is ambiguous and refused. id opens
// sops files, and root bounds the search for their .sops.yaml; id is nil
// when there are none.
func decodeImportFiles(d *Deps, files []importFile, parse func(string, []byte) ([]dotenv.Pair, error), id *identity.Resolved, root string) (map[string]imported, []string, []string, []migration, error) {
	values := map[string]imported{}
	var order, warnings []string
	var migrations []migration
	for _, f := range files {
		var pairs []dotenv.Pair
		var err error
		if f.kind == migrate.Plain {
			if pairs, err = parse(f.label, f.data); err != nil {
				return nil, nil, nil, nil, hint.With(err, "fix that line (close its quote, or write NAME=value), then import again; nothing was written")
			}
		} else {
			var m *migration
			if m, err = decodeForeign(d, f, id, root); err != nil {
				return nil, nil, nil, nil, err
			}
			pairs = m.pairs
			migrations = append(migrations, *m)
		}
		for _, p := range pairs {
			if p.Note != "" {
				warnings = append(warnings, p.Warning(f.label))
			}
			from := f.label
			if p.Line > 0 {
				from = fmt.Sprintf("%s:%d", f.label, p.Line)
			}
			if f.kind == migrate.Plain {
				if err := refuseForeignCiphertext(p, from); err != nil {
					return nil, nil, nil, nil, err
				}
			}
			if prev, ok := values[p.Name]; ok {
				if prev.value != p.Value {
					return nil, nil, nil, nil, hint.With(fmt.Errorf("%s is set differently in %s and %s", p.Name, prev.from, from),
						"import the files one at a time, with --overwrite for the one that should win")
				}
				continue
			}
			values[p.Name] = imported{value: p.Value, from: from}
			order = append(order, p.Name)
		}
	}
	return values, order, warnings, migrations, nil
}
