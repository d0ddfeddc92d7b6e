package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/envsafe/envsafe/internal/dotenv"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/migrate"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/store"
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
Files encrypted by sops (dotenv, YAML or JSON, to age keys) or dotenvx
(encrypted: values) are decrypted in memory; no decrypted file is written.
sops opens with your envsafe identity, which must be one of the file's age
recipients, and its MAC is checked; nested keys are joined with '_', case
kept (database: {password: x} becomes database_password); lists and nulls
are refused. dotenvx opens with DOTENV_PRIVATE_KEY[_ENV] from the
environment or the .env.keys beside the file, and values are read as npm
dotenv reads them (no $VAR expansion). Files sops encrypted only to KMS or
PGP: where that key works, sops rotate --in-place --add-age YOUR_KEY FILE,
then import the file.

Examples:
   envsafe import                        # ./.env into the default environment
   envsafe import .env.production -e production
   envsafe import --overwrite .env.local
   envsafe import --strict .env          # fail on lines npm reads unexpectedly
   envsafe import secrets.enc.yaml -e production   # sops, to your age key
   envsafe import .env.production -e production    # dotenvx, key in .env.keys`,
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
	files, err := readImportFiles(d, o.files)
	if err != nil {
		return err
	}
	// A sops file opens with the identity the environment does: resolve
	// it first then, and once.
	var (
		s   *store.Store
		env string
		id  *identity.Resolved
	)
	if slices.ContainsFunc(files, func(f importFile) bool { return f.kind == migrate.Sops }) {
		if s, env, id, err = d.open(ctx, o.env, audited("import")); err != nil {
			return err
		}
	}
	root := ""
	if s != nil {
		root = s.Root()
	}
	values, order, warnings, migrations, err := decodeImportFiles(d, files, parse, id, root)
	if err != nil {
		return err
	}
	if o.strict && len(warnings) > 0 {
		return strictError(warnings)
	}
	for _, w := range warnings {
		d.warn("%s", w)
	}
	if s == nil {
		if s, env, id, err = d.open(ctx, o.env, audited("import")); err != nil {
			return err
		}
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
	reportMigrations(d, migrations)
	if err := adviseOnPlaintext(d, s, plainFiles(files)); err != nil {
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
