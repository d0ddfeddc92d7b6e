// Package envsafe loads the secrets of an envsafe project into a Go program,
// what godotenv.Load is for a .env file: find the project, decrypt one
// environment in memory, and hand back its variables or set them in the
// process environment. Nothing is written to disk.
//
// The identity that decrypts is found as the envsafe command finds it:
// ENVSAFE_IDENTITY (the secret key text), then ENVSAFE_IDENTITY_FILE (an age
// identity file), then the OS keychain. Files are checked exactly as `envsafe
// run` checks them: a damaged file, or one copied from another environment,
// is refused with ErrIntegrity.
//
// Everything else in this module is internal; this package is the whole
// public Go API.
package envsafe

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/keychain"
	"github.com/envsafe/envsafe/internal/store"
)

var (
	// ErrNoProject means no folder from the one given up holds .envsafe.
	ErrNoProject = store.ErrNoProject
	// ErrNotRecipient means the environment is intact but not encrypted to
	// this identity: ask one of its members to add you.
	ErrNotRecipient = store.ErrNotRecipient
	// ErrIntegrity means the file is damaged, forged or another
	// environment's; nothing from it is returned.
	ErrIntegrity = store.ErrIntegrity
	// ErrNoIdentity means no identity could be found to decrypt with.
	ErrNoIdentity = identity.ErrNoIdentity
	// ErrNoEnvironment means team.yaml does not list the environment.
	ErrNoEnvironment = store.ErrNoEnvironment
)

// Project is an envsafe project: the folder that holds .envsafe.
type Project struct {
	store *store.Store
	// keychain is consulted last, after the two variables, and only when a
	// secret is loaded.
	keychain keychain.Keychain
}

// Open finds the project at dir or the nearest folder above it, as git
// finds a repository.
func Open(dir string) (*Project, error) {
	s, err := store.Find(dir)
	if err != nil {
		return nil, err
	}
	return &Project{store: s, keychain: keychain.NewSystem(keychain.DefaultTimeout)}, nil
}

// Root is the folder that holds .envsafe.
func (p *Project) Root() string { return p.store.Root() }

// Environments lists the environments team.yaml defines, in its order.
func (p *Project) Environments() ([]string, error) {
	t, err := p.store.Team()
	if err != nil {
		return nil, err
	}
	return t.EnvNames(), nil
}

// DefaultEnvironment is the environment ENVSAFE_ENV names, else team.yaml's
// default: the one `envsafe run` uses when none is named.
func (p *Project) DefaultEnvironment() (string, error) {
	if env := os.Getenv("ENVSAFE_ENV"); env != "" {
		return env, nil
	}
	t, err := p.store.Team()
	if err != nil {
		return "", err
	}
	return t.Default, nil
}

// Load decrypts env ("" for the default environment) and returns its
// secrets by name. The map is the caller's: envsafe keeps no copy.
func (p *Project) Load(ctx context.Context, env string) (map[string]string, error) {
	if env == "" {
		var err error
		if env, err = p.DefaultEnvironment(); err != nil {
			return nil, err
		}
	}
	id, err := identity.Resolve(ctx, os.LookupEnv, p.keychain)
	if err != nil {
		return nil, err
	}
	payload, err := p.store.Read(env, id.Identity)
	if err != nil {
		return nil, err
	}
	vars := make(map[string]string, payload.Len())
	for name, value := range payload.All() {
		vars[name] = value
	}
	return vars, nil
}

// Setenv loads env ("" for the default) and sets each secret in the process
// environment, replacing inherited values as `envsafe run` does: the
// encrypted file is the source of truth. It sets nothing unless the whole
// environment decrypted.
func (p *Project) Setenv(ctx context.Context, env string) error {
	vars, err := p.Load(ctx, env)
	if err != nil {
		return err
	}
	for name, value := range vars {
		if err := os.Setenv(name, value); err != nil {
			return fmt.Errorf("setting %s: %w", name, err)
		}
	}
	return nil
}

// Load finds the project from the working directory and sets the secrets
// of env ("" for the default) in the process environment: one call at the
// top of main, like godotenv.Load. It gives up after 10 seconds (a keychain
// that never answers).
func Load(env string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := Open(".")
	if err != nil {
		return err
	}
	return p.Setenv(ctx, env)
}

// IsNoAccess reports whether err means this identity may not read the
// environment (not a recipient, or no identity at all), as opposed to a
// damaged file or a broken project.
func IsNoAccess(err error) bool {
	return errors.Is(err, ErrNotRecipient) || errors.Is(err, ErrNoIdentity) || errors.Is(err, keychain.ErrUnavailable)
}
