package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
)

// openProject finds the project and the identity, for commands that work
// on the whole team rather than one environment.
func (d *Deps) openProject(ctx context.Context, sc auditScope) (*store.Store, *identity.Resolved, error) {
	s, err := d.project(sc)
	if err != nil {
		return nil, nil, err
	}
	id, err := d.identity(ctx)
	if err != nil {
		return nil, nil, err
	}
	s.LoadTrust = d.loadTrustAs(id)
	s.Pinned = d.pinnedAs(id)
	return s, id, nil
}

// openTeam is openProject plus team.yaml, the start of every command that
// changes or reviews who can read what.
func (d *Deps) openTeam(ctx context.Context, sc auditScope) (*store.Store, *team.Team, *identity.Resolved, error) {
	s, id, err := d.openProject(ctx, sc)
	if err != nil {
		return nil, nil, nil, err
	}
	t, err := s.Team()
	if err != nil {
		return nil, nil, nil, err
	}
	return s, t, id, nil
}

// team finds the project and reads team.yaml, for commands that need no
// identity.
func (d *Deps) team(sc auditScope) (*store.Store, *team.Team, error) {
	s, err := d.project(sc)
	if err != nil {
		return nil, nil, err
	}
	t, err := s.Team()
	if err != nil {
		return nil, nil, err
	}
	return s, t, nil
}

// confirm asks on a terminal; elsewhere the user must have passed --yes.
func (d *Deps) confirm(cmd, question string, yes bool) error {
	if yes {
		return nil
	}
	if !d.StdinIsTTY {
		return usagef(cmd, "this changes who can read secrets: pass --yes to confirm when not on a terminal")
	}
	ok, err := d.Prompter.Confirm(question)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("cancelled; nothing changed")
	}
	return nil
}

// onlyMembersCanGrant explains a not-a-recipient error met while changing
// access: re-encrypting needs someone who can decrypt.
// reviewAccess shows, before anything is written, every change of readers
// the files themselves will see (not only the one the command asked for: a
// pull request may have changed team.yaml too), then asks.
func (d *Deps) reviewAccess(cmd, question string, yes bool) func([]store.RecipientChange) error {
	return func(changes []store.RecipientChange) error {
		shown := false
		for _, c := range changes {
			for _, line := range c.Lines() {
				d.say("  %s", line)
				shown = true
			}
		}
		if !shown {
			d.say("  (no change of readers)")
		}
		return d.confirm(cmd, question, yes)
	}
}

func onlyMembersCanGrant(err error, envs []string, suggestion string) error {
	if !errors.Is(err, store.ErrNotRecipient) {
		return err
	}
	list := strings.Join(envs, ", ")
	return hint.With(fmt.Errorf("%w; nothing changed", err),
		"only a member of "+list+" can re-encrypt it: ask one to run `"+suggestion+"`, or change team.yaml in a pull request and ask a member of "+list+" to run `envsafe sync`")
}

// committedTeam reads, from git, team.yaml as committed with the last
// version of env's file: the roster that file was encrypted for. It only
// names keys in messages, so any failure (no git, no history) is nil.
func committedTeam(d *Deps, s *store.Store, env string) *team.Team {
	rel := store.DirName + "/" + env + ".age"
	out, err := d.Git(s.Root(), "log", "-1", "--format=%H", "--", rel)
	commit := strings.TrimSpace(string(out))
	if err != nil || commit == "" {
		return nil
	}
	data, err := d.Git(s.Root(), "show", commit+":./"+store.DirName+"/"+store.TeamFile)
	if err != nil {
		return nil
	}
	t, err := team.Parse(data)
	if err != nil {
		return nil
	}
	return t
}

// proposed tells a non-admin of a signed project that their change of who
// reads what is in team.yaml only, waiting for an admin's signature.
func (d *Deps) proposed() error {
	d.say("You are not an admin of this signed project: the change is written to team.yaml as a proposal, and no file was re-encrypted.")
	d.say("Commit team.yaml; an admin reviews it and signs it with `envsafe trust apply`.")
	return nil
}

// sayNewPin tells an admin, after a signed roster change, to re-issue CI's
// pin: a runner without memory only refuses rosters older than its pin's
// minimum, so until then it would accept the roster from before a removal.
func (d *Deps) sayNewPin(s *store.Store) {
	if !s.IsSigned() {
		return
	}
	sg, err := s.SignedContext()
	if err != nil || sg == nil {
		return
	}
	d.say("CI: update the pin line in its identity secret to `%s %s`; until then a fresh CI runner still accepts the roster from before this change. Members' machines follow by themselves.", identity.TrustPinPrefix, sg.V.Pin())
}
