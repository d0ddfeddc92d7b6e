package commands

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/envsafe/envsafe/internal/payload"
	"github.com/urfave/cli/v2"
)

type setOpts struct {
	env  string
	args []string
	file string
	// generate makes random values (set_generate.go) in charset.
	generate bool
	charset  string
	// personal stores into the user's personal overrides.
	personal bool
}

func newSetCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "set",
		Usage:     "store secrets",
		ArgsUsage: "NAME=VALUE... | NAME | NAME... --generate [LEN]",
		Description: `NAME=VALUE stores values given on the command line. A bare NAME reads the
value from a hidden prompt on a terminal, or from stdin otherwise (one
trailing newline removed), so it stays out of your shell history.
A NAME is what npm dotenv and import accept: ASCII letters, digits, _, .
and - (API_KEY, app.name, MY-KEY, 1ST); run passes each to the program.
--file stores a file's bytes exactly, for multi-line values such as PEM keys.
--generate stores a new random value (crypto/rand) under each NAME, never
shown: LEN characters (default 32, 16 to 4096) from --charset alnum (A-Z a-z
0-9, the default), hex, base64 (URL-safe: A-Z a-z 0-9 - _) or ascii
(printable, no space). Use it to rotate secrets your team issues.
--personal stores the values as your personal overrides of the environment:
encrypted to your key alone and kept outside the repository (in your state
folder), applied over the shared values in your own run and export only.

Examples:
   envsafe set DATABASE_URL
   printf %s "$TOKEN" | envsafe set API_TOKEN -e production
   envsafe set TLS_KEY --file server.key
   envsafe set LOG_LEVEL=debug PORT=8080
   envsafe set SESSION_SECRET --generate 64 -e production
   envsafe set --personal API_URL=http://localhost:3000`,
		Flags: []cli.Flag{
			envFlag(),
			&cli.StringFlag{Name: "file", Usage: "read the value of the single NAME from `PATH`, byte for byte"},
			&cli.BoolFlag{Name: "generate", Usage: "store a new random value under each NAME, never shown (optional LEN argument, default 32)"},
			&cli.StringFlag{Name: "charset", Value: "alnum", Usage: "characters of a --generate value: `SET` alnum, hex, base64 or ascii"},
			personalFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.IsSet("charset") && !c.Bool("generate") {
				return usagef("set", "--charset goes with --generate")
			}
			return runSet(c.Context, d, setOpts{env: c.String("env"), args: c.Args().Slice(), file: c.String("file"),
				generate: c.Bool("generate"), charset: c.String("charset"), personal: c.Bool("personal")})
		},
	}
}

// runSet validates every argument before touching the project, so a typo in
// the third pair leaves the first two unwritten too.
func runSet(ctx context.Context, d *Deps, o setOpts) error {
	read := setValues
	if o.generate {
		read = generatedValues
	}
	values, err := read(d, o)
	if err != nil {
		return err
	}
	s, env, id, err := d.open(ctx, o.env, audited("set"))
	if err != nil {
		return err
	}
	var changed, unchanged []string
	_, err = updateEnv(ctx, s, env, id, o.personal, func(p *payload.Payload) error {
		changed, unchanged = nil, nil
		for _, kv := range values {
			if p.Set(kv[0], kv[1], d.Now()) {
				changed = append(changed, kv[0])
			} else {
				unchanged = append(unchanged, kv[0])
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(changed) > 0 {
		d.say("Set %s in %s.", strings.Join(changed, ", "), whose(env, o.personal))
	}
	if len(unchanged) > 0 {
		d.say("Unchanged in %s (same value): %s.", whose(env, o.personal), strings.Join(unchanged, ", "))
	}
	if o.generate {
		sayGenerated(d, o, len(values))
	}
	return nil
}

// setValues turns the arguments into name/value pairs, reading a bare
// NAME's value from --file, a hidden prompt or stdin.
func setValues(d *Deps, o setOpts) ([][2]string, error) {
	if len(o.args) == 0 {
		return nil, usagef("set", "name at least one secret: NAME=VALUE, or NAME to be asked for its value")
	}
	if len(o.args) == 1 && !strings.Contains(o.args[0], "=") {
		name := o.args[0]
		if err := payload.ValidateName(name); err != nil {
			return nil, usagef("set", "%v", err)
		}
		value, err := readValue(d, name, o.file)
		if err != nil {
			return nil, err
		}
		if err := payload.ValidateValue(name, value); err != nil {
			return nil, err
		}
		return [][2]string{{name, value}}, nil
	}
	if o.file != "" {
		return nil, usagef("set", "--file needs exactly one bare NAME (set NAME --file PATH)")
	}
	var values [][2]string
	seen := map[string]bool{}
	for _, arg := range o.args {
		name, value, ok := strings.Cut(arg, "=")
		if !ok {
			return nil, usagef("set", "%q has no value: write NAME=VALUE, or give a single bare NAME to be asked for it", name)
		}
		if err := payload.ValidateName(name); err != nil {
			return nil, usagef("set", "%v", err)
		}
		if seen[name] {
			return nil, usagef("set", "%s is given twice", name)
		}
		seen[name] = true
		if err := payload.ValidateValue(name, value); err != nil {
			return nil, err
		}
		values = append(values, [2]string{name, value})
	}
	return values, nil
}

func readValue(d *Deps, name, file string) (string, error) {
	switch {
	case file != "":
		f, err := os.Open(resolvePath(d, file))
		if err != nil {
			return "", err
		}
		defer f.Close()
		return readAllLimited(f, name, file)
	case d.StdinIsTTY:
		value, err := d.Prompter.Password("Value for " + name)
		if err != nil {
			return "", err
		}
		if value == "" {
			return "", usagef("set", "no value typed for %s; to store an empty value use `envsafe set %s=`", name, name)
		}
		return value, nil
	default:
		value, err := readAllLimited(d.Stdin, name, "stdin")
		if err != nil {
			return "", err
		}
		if strings.HasSuffix(value, "\r\n") {
			value = value[:len(value)-2]
		} else {
			value = strings.TrimSuffix(value, "\n")
		}
		if value == "" {
			return "", usagef("set", "stdin was empty: pipe the value of %s in, or use `envsafe set %s=` for an empty value", name, name)
		}
		return value, nil
	}
}

func readAllLimited(r io.Reader, name, from string) (string, error) {
	data, err := io.ReadAll(io.LimitReader(r, payload.MaxValueSize+1))
	if err != nil {
		return "", fmt.Errorf("reading the value of %s from %s: %w", name, from, err)
	}
	if len(data) > payload.MaxValueSize {
		return "", fmt.Errorf("the value of %s from %s is over the %d MiB limit", name, from, payload.MaxValueSize>>20)
	}
	return string(data), nil
}
