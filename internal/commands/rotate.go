package commands

import (
	"context"
	"errors"
	"strings"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/secretgen"
	"github.com/urfave/cli/v2"
)

type rotateOpts struct {
	env      string
	names    []string
	generate bool
	length   int
	charset  string
	done     bool
}

func newRotateCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "rotate",
		Usage:     "give the secrets marked to rotate new values",
		ArgsUsage: "[NAME...]",
		Description: `member rm marks every secret the removed member could read "to rotate":
git history still holds copies they can decrypt. ls --long shows the marks
and check fails until each secret has a new value.

rotate goes through them (or the NAMEs given): on a terminal it asks for
each new value at a hidden prompt (an empty answer leaves that one marked);
--generate makes random values instead, for secrets your team issues itself.
Setting a new value any other way (set, import, edit) clears a mark too.
--done clears the marks of NAMEs without a new value, for a secret whose old
value no longer grants anything (revoked where it is issued).
(rekey is the other operation: a fresh file key, same values.)

Examples:
   envsafe rotate -e production
   envsafe rotate SESSION_SECRET --generate 64 -e production
   envsafe rotate STRIPE_KEY --done -e production`,
		Flags: []cli.Flag{
			envFlag(),
			&cli.BoolFlag{Name: "generate", Usage: "give each a new random value instead of asking"},
			&cli.IntFlag{Name: "length", Value: secretgen.DefaultLength, Usage: "with --generate: `LEN` characters"},
			&cli.StringFlag{Name: "charset", Value: "alnum", Usage: "with --generate: alnum, hex, base64 or ascii"},
			&cli.BoolFlag{Name: "done", Usage: "clear the marks of the NAMEs given, keeping their values"},
		},
		Action: func(c *cli.Context) error {
			return runRotate(c.Context, d, rotateOpts{env: c.String("env"), names: c.Args().Slice(), generate: c.Bool("generate"),
				length: c.Int("length"), charset: c.String("charset"), done: c.Bool("done")})
		},
	}
}

func runRotate(ctx context.Context, d *Deps, o rotateOpts) error {
	for _, name := range o.names {
		if err := payload.ValidateName(name); err != nil {
			return usagef("rotate", "%v", err)
		}
	}
	switch {
	case o.done && o.generate:
		return usagef("rotate", "choose one of --done and --generate")
	case o.done && len(o.names) == 0:
		return usagef("rotate", "--done clears the marks of the secrets you name: envsafe rotate NAME... --done")
	case o.generate && (o.length < secretgen.MinLength || o.length > secretgen.MaxLength):
		return usagef("rotate", "a generated value is %d to %d characters long, not %d", secretgen.MinLength, secretgen.MaxLength, o.length)
	}
	if _, err := secretgen.Alphabet(o.charset); err != nil {
		return usagef("rotate", "--charset: %v", err)
	}
	s, env, id, err := d.open(ctx, o.env, audited("rotate"))
	if err != nil {
		return err
	}
	p, err := s.Read(env, id.Identity)
	if err != nil {
		return err
	}
	names := o.names
	if len(names) == 0 {
		names = p.ToRotate()
	}
	if len(names) == 0 {
		d.say("Nothing to rotate in %s.", env)
		return nil
	}
	for _, name := range names {
		if _, ok := p.Secrets[name]; !ok {
			return hint.With(errors.New("no secret "+name+" in "+env), "`envsafe ls --long -e "+env+"` lists the secrets and their marks")
		}
	}
	values, err := rotateValues(d, o, p, names)
	if err != nil {
		return err
	}
	var rotated, cleared []string
	_, err = s.Update(ctx, env, id.Identity, func(p *payload.Payload) error {
		rotated, cleared = nil, nil
		for _, name := range names {
			if _, ok := p.Secrets[name]; !ok {
				continue
			}
			if o.done {
				p.Unmark(name)
				cleared = append(cleared, name)
			} else if v, ok := values[name]; ok && p.Set(name, v, d.Now()) {
				rotated = append(rotated, name)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(rotated) > 0 {
		d.say("New values for %s in %s.", strings.Join(rotated, ", "), env)
	}
	if len(cleared) > 0 {
		d.say("Cleared the rotate marks of %s in %s (values kept).", strings.Join(cleared, ", "), env)
	}
	if left, err := s.Read(env, id.Identity); err == nil && len(left.Rotate) > 0 {
		d.say("Still to rotate in %s: %s.", env, strings.Join(left.ToRotate(), ", "))
	}
	return nil
}

// rotateValues gets a new value for each name: generated, or asked for at
// a hidden prompt (an empty answer skips it). A value equal to the old one
// is refused: it would not be rotated.
func rotateValues(d *Deps, o rotateOpts, p *payload.Payload, names []string) (map[string]string, error) {
	values := map[string]string{}
	if o.done {
		return values, nil
	}
	if o.generate {
		for _, name := range names {
			v, err := secretgen.Generate(o.charset, o.length)
			if err != nil {
				return nil, err
			}
			values[name] = v
		}
		return values, nil
	}
	if !d.StdinIsTTY {
		return nil, hint.With(errors.New("rotate asks for each new value on a terminal"),
			"rotate each at its source, then `envsafe set NAME` (from stdin); or `envsafe rotate --generate` for values envsafe can make")
	}
	for _, name := range names {
		label := "New value for " + name
		if why, ok := p.Rotate[name]; ok {
			label += " (" + why + "; empty to skip)"
		}
		v, err := d.Prompter.Password(label)
		if err != nil {
			return nil, err
		}
		if v == "" {
			continue
		}
		if old, _ := p.Lookup(name); old == v {
			return nil, hint.With(errors.New("the new value of "+name+" is the old one; nothing was written"),
				"get a new value where it is issued (a new password or token), then run rotate again")
		}
		if err := payload.ValidateValue(name, v); err != nil {
			return nil, err
		}
		values[name] = v
	}
	if len(values) == 0 {
		return nil, hint.With(errors.New("no new values given; nothing was written"), "answer with the new value, or clear a mark with `envsafe rotate NAME --done`")
	}
	return values, nil
}
