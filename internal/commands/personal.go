package commands

import (
	"context"
	"strings"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/urfave/cli/v2"
)

// personalFlag is --personal, on the commands that change or list your
// personal overrides (set, rm, ls, edit) instead of the shared environment.
func personalFlag() cli.Flag {
	return &cli.BoolFlag{Name: "personal", Usage: "work on your personal overrides of the environment (only you can read them; applied in your run and export)"}
}

// noPersonalFlag is --no-personal, on the commands that apply them.
func noPersonalFlag() cli.Flag {
	return &cli.BoolFlag{Name: "no-personal", Usage: "ignore your personal overrides: exactly the shared environment"}
}

// whose names what a command changed, for its messages.
func whose(env string, personal bool) string {
	if personal {
		return "your personal overrides of " + env
	}
	return env
}

// updateEnv changes the shared environment, or with personal the user's
// own overrides of it.
func updateEnv(ctx context.Context, s *store.Store, env string, id *identity.Resolved, personal bool, change func(*payload.Payload) error) (bool, error) {
	if personal {
		return s.UpdatePersonal(ctx, env, id.Identity, change)
	}
	return s.Update(ctx, env, id.Identity, change)
}

// readEnv reads the shared environment, or with personal the user's
// overrides of it.
func readEnv(s *store.Store, env string, id *identity.Resolved, personal bool) (*payload.Payload, error) {
	if personal {
		if err := s.CheckPersonalEnv(env); err != nil {
			return nil, err
		}
		return s.ReadPersonal(env, id.Identity)
	}
	return s.Read(env, id.Identity)
}

// applyPersonal puts the user's personal overrides of env over p (the
// shared environment) and says so on stderr, by name only. An overrides
// file that cannot be read is an error, not a silent run without them.
func applyPersonal(d *Deps, s *store.Store, env string, id *identity.Resolved, p *payload.Payload) error {
	own, err := s.ReadPersonal(env, id.Identity)
	if err != nil {
		return hint.With(err, "`--no-personal` runs with the shared environment only")
	}
	names := own.Names()
	if len(names) == 0 {
		return nil
	}
	for _, name := range names {
		p.Secrets[name] = own.Secrets[name]
		delete(p.Conflicts, name) // your own value settles it, for you
	}
	d.say("%s: %s", plural(len(names), "personal override"), strings.Join(names, ", "))
	return nil
}
