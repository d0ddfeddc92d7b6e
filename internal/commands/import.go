package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/envsafe/envsafe/internal/dotenv"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/payload"
)

// maxImportSize bounds one .env file; real ones are kilobytes.
const maxImportSize = 16 << 20

type importOpts struct {
	env       string
	files     []string
	overwrite bool
	dialect   string
	// strict refuses the lines npm dotenv reads differently from how they
	// look, instead of importing npm's value with a warning.
	strict bool
}

func newImportCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "import .env files into an environment",
		ArgsUsage: "[FILE|-]...",
		Description: `Reads FILE (default .env; - for stdin) exactly as the npm dotenv package
does, so the program gets the values it got before: no $VAR expansion, #
starts a comment in unquoted values, quotes and multi-line quoted values,
export prefix, CRLF, BOM, and names such as app.name, MY-KEY or 1ST.
Where npm dotenv reads a line differently from how it looks (PASSWORD=abc#def
is abc; "say \"hi\"" keeps its backslashes), npm's value is imported and a
warning names FILE:LINE, the name and how to quote the line if the other
reading was meant; --strict refuses those lines instead (for CI).
Lines npm dotenv would silently drop or garble (unterminated quote, no '=',
text after a closing quote, not UTF-8) are refused with FILE:LINE, and
nothing is written.
--dialect godotenv reads files written for Go's godotenv, with its ${VAR}
expansion. A name that already holds a different value is a conflict:
nothing is written unless --overwrite.

Examples:
   envsafe import                        # ./.env into the default environment
   envsafe import .env.production -e production
   envsafe import --overwrite .env.local
   envsafe import --strict .env          # fail on lines npm reads unexpectedly`,
		Flags: []cli.Flag{
			envFlag(),
			&cli.BoolFlag{Name: "overwrite", Usage: "replace secrets that hold a different value"},
			&cli.StringFlag{Name: "dialect", Value: "node", Usage: "`DIALECT` of the files: node (npm dotenv) or godotenv"},
			&cli.BoolFlag{Name: "strict", Usage: "refuse lines npm dotenv reads differently from how they look, instead of warning"},
		},
		Action: func(c *cli.Context) error {
			return runImport(c.Context, d, importOpts{env: c.String("env"), files: c.Args().Slice(), overwrite: c.Bool("overwrite"),
				dialect: c.String("dialect"), strict: c.Bool("strict")})
		},
	}
}

// imported is one name's value and where it came from, for messages.
type imported struct {
	value string
	from  string
}

func runImport(ctx context.Context, d *Deps, o importOpts) error {
	parse := dotenv.Parse
	switch o.dialect {
	case "node":
	case "godotenv":
		if o.strict {
			return usagef("import", "--strict checks files in the node dialect only")
		}
		parse = dotenv.ParseGodotenv
	default:
		return usagef("import", "unknown dialect %q: use node or godotenv", o.dialect)
	}
	if len(o.files) == 0 {
		o.files = []string{".env"}
	}
	values, order, warnings, err := readEnvFiles(d, o.files, parse)
	if err != nil {
		return err
	}
	if o.strict && len(warnings) > 0 {
		return strictError(warnings)
	}
	for _, w := range warnings {
		d.warn("%s", w)
	}
	s, env, id, err := d.open(ctx, o.env, audited("import"))
	if err != nil {
		return err
	}
	var added, changed, unchanged []string
	_, err = s.Update(ctx, env, id.Identity, func(p *payload.Payload) error {
		added, changed, unchanged = nil, nil, nil
		for _, name := range order {
			old, exists := p.Secrets[name]
			switch {
			case !exists:
				added = append(added, name)
			case old.Value == values[name].value:
				unchanged = append(unchanged, name)
			default:
				changed = append(changed, name)
			}
		}
		if len(changed) > 0 && !o.overwrite {
			return hint.With(fmt.Errorf("%s already hold%s a different value in %s; nothing imported",
				strings.Join(changed, ", "), map[bool]string{true: "", false: "s"}[len(changed) > 1], env),
				"pass --overwrite to take the file's values, or remove those lines from the file")
		}
		for _, name := range order {
			p.Set(name, values[name].value, d.Now())
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.say("Imported %s into %s: %d added, %d changed, %d unchanged.", strings.Join(o.files, ", "), env, len(added), len(changed), len(unchanged))
	if err := adviseOnPlaintext(d, s, o.files); err != nil {
		return err
	}
	warnIfIgnored(d, s)
	return offerHook(d, s)
}

// strictError refuses, under --strict, the lines npm dotenv reads
// differently from how they look. The warnings name FILE:LINE and the
// variable, never the value.
func strictError(warnings []string) error {
	msg := warnings[0] + " (refused by --strict; nothing imported)"
	if len(warnings) > 1 {
		msg = fmt.Sprintf("--strict refuses %d lines that npm dotenv reads differently from how they look; nothing imported:\n  %s",
			len(warnings), strings.Join(warnings, "\n  "))
	}
	return hint.With(errors.New(msg),
		"change those lines as said, or import without --strict to store what npm dotenv reads (what the program got so far)")
}

// readEnvFiles parses every file before anything is written, and returns
// the values, the names in order and a warning (FILE:LINE: NAME: ...) for
// each line npm dotenv reads differently from how it looks. The same name
// with different values in two files is ambiguous and refused.
func readEnvFiles(d *Deps, files []string, parse func(string, []byte) ([]dotenv.Pair, error)) (map[string]imported, []string, []string, error) {
	values := map[string]imported{}
	var order, warnings []string
	stdinUsed := false
	for _, file := range files {
		var data []byte
		var err error
		label := file
		if file == "-" {
			if stdinUsed {
				return nil, nil, nil, usagef("import", "- (stdin) can be given only once")
			}
			stdinUsed, label = true, "stdin"
			data, err = io.ReadAll(io.LimitReader(d.Stdin, maxImportSize+1))
		} else {
			data, err = readFileLimited(resolvePath(d, file), maxImportSize)
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, nil, hint.With(fmt.Errorf("no file %s", file), "name the file to import: `envsafe import path/to/.env`, or - for stdin")
		}
		if err != nil {
			return nil, nil, nil, err
		}
		if len(data) > maxImportSize {
			return nil, nil, nil, fmt.Errorf("%s is over the %d MiB limit for a .env file", label, maxImportSize>>20)
		}
		pairs, err := parse(label, data)
		if err != nil {
			return nil, nil, nil, hint.With(err, "fix that line (close its quote, or write NAME=value), then import again; nothing was written")
		}
		for _, p := range pairs {
			if p.Note != "" {
				warnings = append(warnings, p.Warning(label))
			}
			from := fmt.Sprintf("%s:%d", label, p.Line)
			if err := refuseForeignCiphertext(p, from); err != nil {
				return nil, nil, nil, err
			}
			if prev, ok := values[p.Name]; ok {
				if prev.value != p.Value {
					return nil, nil, nil, hint.With(fmt.Errorf("%s is set differently in %s and %s", p.Name, prev.from, from),
						"import the files one at a time, with --overwrite for the one that should win")
				}
				continue
			}
			values[p.Name] = imported{value: p.Value, from: from}
			order = append(order, p.Name)
		}
	}
	return values, order, warnings, nil
}
