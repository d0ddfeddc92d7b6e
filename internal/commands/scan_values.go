package commands

import (
	"context"
	"errors"
	"sort"

	"github.com/envsafe/envsafe/internal/scan"
	"github.com/envsafe/envsafe/internal/store"
)

// valueCheck is what collectValues could and could not load.
type valueCheck struct {
	// unreadable are environments this identity is not a recipient of.
	unreadable []string
	// failed are environments whose values should have been loaded and
	// were not (keychain locked, damaged file): scanning without them
	// would pass a commit it must stop.
	failed []string
	// idErr is why no identity was found, when that is why they failed.
	idErr error
	// common are secrets too common to search for ("NODE_ENV in production").
	common []string
}

// add merges what one project's check found.
func (vc *valueCheck) add(o valueCheck) {
	vc.unreadable = append(vc.unreadable, o.unreadable...)
	vc.failed = append(vc.failed, o.failed...)
	vc.common = append(vc.common, o.common...)
	if vc.idErr == nil {
		vc.idErr = o.idErr
	}
}

// collectValues decrypts every environment it can and keeps only keyed
// hashes of the values that look secret. In a monorepo, label names the
// project, and its environments are "PROJECT: ENV" in every message.
func collectValues(ctx context.Context, d *Deps, s *store.Store, values *scan.Values, label string) valueCheck {
	var vc valueCheck
	envName := func(env string) string {
		if label == "" {
			return env
		}
		return label + ": " + env
	}
	t, err := s.Team()
	if err != nil {
		d.warn("secret values not checked: %v", err)
		vc.failed = []string{envName("(team.yaml unreadable)")}
		return vc
	}
	id, err := d.identity(ctx)
	if err != nil {
		// No identity, a missing key file, a locked keychain: whether this
		// person is a member cannot be told, so the scan fails closed.
		d.warn("secret values not loaded: %v", err)
		for _, env := range t.EnvNames() {
			vc.failed = append(vc.failed, envName(env))
		}
		vc.idErr = err
		return vc
	}
	for _, env := range t.EnvNames() {
		p, err := s.Read(env, id.Identity)
		if errors.Is(err, store.ErrNotRecipient) && !t.CanRead(env, id.Public()) {
			vc.unreadable = append(vc.unreadable, envName(env))
			continue
		}
		if err != nil {
			d.warn("values of %s not loaded: %v", envName(env), err)
			vc.failed = append(vc.failed, envName(env))
			continue
		}
		for name, sec := range p.Secrets {
			if !values.Add(sec.Value, name+" in "+envName(env)) && len(sec.Value) > 0 {
				vc.common = append(vc.common, name+" in "+envName(env))
			}
		}
		clear(p.Secrets)
	}
	sort.Strings(vc.common)
	return vc
}
