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

// add merges what one project's check found, its environments named
// "PROJECT: ENV" when label is not empty (a monorepo).
func (vc *valueCheck) add(o valueCheck, label string) {
	name := func(names []string) []string {
		if label == "" {
			return names
		}
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = label + ": " + n
		}
		return out
	}
	vc.unreadable = append(vc.unreadable, name(o.unreadable)...)
	vc.failed = append(vc.failed, name(o.failed)...)
	vc.common = append(vc.common, name(o.common)...)
	if vc.idErr == nil {
		vc.idErr = o.idErr
	}
}

// collectValues decrypts every environment it can and keeps only keyed
// hashes of the values that look secret.
func collectValues(ctx context.Context, d *Deps, s *store.Store, values *scan.Values) valueCheck {
	var vc valueCheck
	t, err := s.Team()
	if err != nil {
		d.warn("secret values not checked: %v", err)
		vc.failed = []string{"(team.yaml unreadable)"}
		return vc
	}
	id, err := d.identity(ctx)
	if err != nil {
		// No identity, a missing key file, a locked keychain: whether this
		// person is a member cannot be told, so the scan fails closed.
		d.warn("secret values not loaded: %v", err)
		vc.failed, vc.idErr = t.EnvNames(), err
		return vc
	}
	for _, env := range t.EnvNames() {
		p, err := s.Read(env, id.Identity)
		if errors.Is(err, store.ErrNotRecipient) && !t.CanRead(env, id.Public()) {
			vc.unreadable = append(vc.unreadable, env)
			continue
		}
		if err != nil {
			d.warn("values of %s not loaded: %v", env, err)
			vc.failed = append(vc.failed, env)
			continue
		}
		for name, sec := range p.Secrets {
			if !values.Add(sec.Value, name+" in "+env) && len(sec.Value) > 0 {
				vc.common = append(vc.common, name+" in "+env)
			}
		}
		clear(p.Secrets)
	}
	sort.Strings(vc.common)
	return vc
}
