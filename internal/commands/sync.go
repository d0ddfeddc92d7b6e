package commands

import (
	"context"
	"errors"
	"strings"

	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
	"github.com/urfave/cli/v2"
)

func newSyncCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "sync",
		Usage: "re-encrypt environments whose recipients differ from team.yaml",
		Description: `Run it after a change to team.yaml arrives (a teammate's pull request, a
merge): every environment you can decrypt whose file is encrypted to other
keys than team.yaml lists is re-encrypted to exactly those keys, after
showing who gains and who loses access (by member name; a changed key reads
"NAME: key changed") and asking (--yes off a terminal). The others are
listed: only one of their members can re-encrypt them. Review the change to
team.yaml first: whoever can push can edit it.

Examples:
   git pull && envsafe sync && git commit -am "envsafe sync" && git push
   envsafe sync --yes`,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"}},
		Action: func(c *cli.Context) error {
			return runSync(c.Context, d, c.Bool("yes"))
		},
	}
}

func runSync(ctx context.Context, d *Deps, yes bool) error {
	s, t, id, err := d.openTeam(ctx, audited("sync"))
	if err != nil {
		return err
	}
	var stale, unreadable []string
	pr := d.progress()
	defer pr.done()
	names := t.EnvNames()
	for i, env := range names {
		pr.show("sync: checking %s (%d of %d)", env, i+1, len(names))
		p, err := s.Read(env, id.Identity)
		if errors.Is(err, store.ErrNotRecipient) {
			unreadable = append(unreadable, env)
			continue
		}
		if errors.Is(err, store.ErrNoFile) {
			stale = append(stale, env) // listed in team.yaml, never written: create it
			continue
		}
		if err != nil {
			return err
		}
		if !store.DriftOf(t, env, p).InSync() {
			stale = append(stale, env)
		}
	}
	pr.done()
	if len(stale) > 0 {
		d.say("team.yaml differs from %s. Who can read what, once re-encrypted:", strings.Join(stale, ", "))
		if _, _, err := s.ChangeAccess(ctx, id.Identity, store.Access{
			Reencrypt: func(*team.Team) []string { return stale },
			Review:    pr.cleared(d.reviewAccess("sync", "Re-encrypt "+strings.Join(stale, ", ")+" to the recipients in team.yaml", yes)),
			Progress:  pr.envSteps("sync"),
		}); err != nil {
			return err
		}
		pr.done()
		d.say("Re-encrypted %s to the recipients in team.yaml. Commit .envsafe/ and push.", strings.Join(stale, ", "))
	} else {
		d.say("Every environment you can decrypt matches team.yaml.")
	}
	if len(unreadable) > 0 {
		d.say("Not checked (you cannot decrypt them): %s. If team.yaml changed who reads them, ask one of their members to run `envsafe sync`.",
			strings.Join(unreadable, ", "))
	}
	return nil
}
