package commands

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/keychain"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
	"github.com/urfave/cli/v2"
)

func newStatusCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "show the project, your identity, the keychain and what you can decrypt",
		Description: `In a repository holding several projects (a monorepo), the project you are
in comes first, then every other one (under "other_projects" in --json);
at the top of such a repository, every project.

Examples:
   envsafe status
   envsafe status --json
   envsafe -C apps/api status`,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print the report as JSON"}},
		Action: func(c *cli.Context) error {
			return runStatus(c.Context, d, c.Bool("json"))
		},
	}
}

type statusReport struct {
	Project  string         `json:"project"`
	Default  string         `json:"default"`
	Identity statusIdentity `json:"identity"`
	Keychain statusKeychain `json:"keychain"`
	// Signed is the signed roster's state; nil for an unsigned project.
	Signed       *statusSigned `json:"signed,omitempty"`
	Environments []statusEnv   `json:"environments"`
	// Others are the other projects of the same repository (a monorepo).
	Others []statusReport `json:"other_projects,omitempty"`
}

type statusSigned struct {
	RosterVersion uint64 `json:"roster_version,omitempty"`
	Admins        string `json:"admins,omitempty"`
	Pin           string `json:"pin,omitempty"`
	// Proposal is how team.yaml differs from the signed roster: nothing
	// uses it until an admin signs it (trust apply).
	Proposal []string `json:"proposal,omitempty"`
	// AdminChange says an admin change waits for signatures in
	// team.sig.pending.
	AdminChange bool   `json:"admin_change_pending,omitempty"`
	Error       string `json:"error,omitempty"`
}

type statusIdentity struct {
	Public string `json:"public,omitempty"`
	Source string `json:"source,omitempty"`
	Member string `json:"member,omitempty"`
	Error  string `json:"error,omitempty"`
}

type statusKeychain struct {
	Backend   string `json:"backend"`
	Available bool   `json:"available"`
	Error     string `json:"error,omitempty"`
}

type statusEnv struct {
	Name     string `json:"name"`
	Readable bool   `json:"readable"`
	Secrets  int    `json:"secrets"`
	// InSync is false when the file's recipients differ from team.yaml.
	InSync bool     `json:"in_sync"`
	Gained []string `json:"gained,omitempty"`
	Lost   []string `json:"lost,omitempty"`
	// Conflicts are secrets a git merge left undecided.
	Conflicts []string `json:"conflicts,omitempty"`
	Error     string   `json:"error,omitempty"`
}

func runStatus(ctx context.Context, d *Deps, asJSON bool) error {
	here, err := d.project(audited("status"))
	if err != nil && !errors.Is(err, store.ErrNoProject) {
		return err
	}
	all, allErr := d.projects(audited("status"))
	if here == nil && len(all) == 0 {
		return cmp.Or(allErr, err)
	}
	var stores []*store.Store
	if here != nil {
		stores = append(stores, here)
	}
	for _, s := range all {
		if here == nil || s.Root() != here.Root() {
			stores = append(stores, s)
		}
	}
	kc := keychainStatus(ctx, d)
	id, idErr := d.identity(ctx)
	var reports []statusReport
	err = nil
	for _, s := range stores {
		r, err := projectStatus(s, kc, id, idErr)
		if err != nil {
			return err
		}
		reports = append(reports, r)
	}
	switch {
	case asJSON && here == nil:
		err = writeJSON(d, struct {
			Projects []statusReport `json:"projects"`
		}{reports})
	case asJSON:
		reports[0].Others = reports[1:]
		err = writeJSON(d, reports[0])
	default:
		for i, r := range reports {
			if i > 0 {
				fmt.Fprintln(d.Stdout)
			}
			printStatus(d, r)
		}
	}
	if err != nil {
		return err
	}
	if allErr != nil {
		d.warn("not every project of this repository was found: %v", allErr)
	}
	return misconfiguredIdentity(d, idErr)
}

// projectStatus is one project's report.
func projectStatus(s *store.Store, kc statusKeychain, id *identity.Resolved, idErr error) (statusReport, error) {
	t, err := s.Team()
	if err != nil {
		return statusReport{}, err
	}
	r := statusReport{Project: s.Root(), Default: t.Default, Keychain: kc}
	if idErr != nil {
		r.Identity.Error = idErr.Error()
	} else {
		r.Identity = statusIdentity{Public: id.Public(), Source: id.Source}
		r.Identity.Member, _ = t.MemberByRecipient(id.Public())
	}
	readers := t // whose recipients the files are compared with
	if s.IsSigned() {
		r.Signed = &statusSigned{}
		if sg, err := s.SignedContext(); err != nil {
			r.Signed.Error = err.Error()
		} else {
			r.Signed.RosterVersion, r.Signed.Admins, r.Signed.Pin = sg.V.Roster.Version, adminNames(sg.V), sg.V.Pin().String()
			r.Signed.Proposal = t.Diff(sg.V.Roster.Team)
			_, err := os.Lstat(filepath.Join(s.Dir(), store.PendingAdminsFile))
			r.Signed.AdminChange = err == nil
			if signed, err := team.FromRoster(sg.V.Roster.Team); err == nil {
				readers = signed
			}
		}
	}
	for _, e := range readers.Environments {
		r.Environments = append(r.Environments, envStatus(s, readers, e.Name, id))
	}
	return r, nil
}

// misconfiguredIdentity is status's exit: an identity variable that is set
// but unusable (a CI secret that did not arrive) fails with exit 4 as every
// other command does, after the report; having no identity yet is a state
// status describes, not an error.
func misconfiguredIdentity(d *Deps, idErr error) error {
	if idErr == nil {
		return nil
	}
	for _, name := range []string{identity.EnvIdentity, identity.EnvIdentityFile} {
		if _, set := d.LookupEnv(name); set {
			return idErr
		}
	}
	return nil
}

func keychainStatus(ctx context.Context, d *Deps) statusKeychain {
	k := statusKeychain{Backend: d.Keychain.Backend()}
	_, err := d.Keychain.Get(ctx, identity.KeychainAccount)
	k.Available = err == nil || errors.Is(err, keychain.ErrNotFound)
	if !k.Available {
		k.Error = err.Error()
	}
	return k
}

func envStatus(s *store.Store, t *team.Team, env string, id *identity.Resolved) statusEnv {
	st := statusEnv{Name: env}
	if id == nil {
		st.Error = "no identity"
		return st
	}
	p, err := s.Read(env, id.Identity)
	if err != nil {
		st.Error = err.Error()
		switch {
		case errors.Is(err, store.ErrNotRecipient):
			st.Error = "not a recipient"
		case errors.Is(err, store.ErrNoFile):
			st.Error = "no file yet: run envsafe sync (or restore it from git)"
		}
		return st
	}
	st.Readable, st.Secrets = true, len(p.Secrets)
	drift := store.DriftOf(t, env, p)
	name := func(key string) string {
		if m, ok := t.MemberByRecipient(key); ok {
			return m
		}
		return identity.Short(key)
	}
	for _, k := range drift.Gained {
		st.Gained = append(st.Gained, name(k))
	}
	for _, k := range drift.Lost {
		st.Lost = append(st.Lost, name(k))
	}
	st.InSync = drift.InSync()
	st.Conflicts = p.ConflictNames()
	return st
}
