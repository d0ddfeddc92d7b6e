package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/urfave/cli/v2"
)

type restoreOpts struct {
	env, from string
	yes       bool
}

func newRestoreCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "restore",
		Usage: "bring back an environment's values from an earlier commit, as a new version",
		Description: `Reads the environment as it was at COMMIT (any git revision) and writes its
values as a new version: signed by you and encrypted to today's readers, so
that a member removed since does not get them back. Putting an old file back
with git (git revert, git checkout COMMIT -- FILE) is refused instead: an old
file is where a revoked password lives, and in a signed project it reads as a
rollback. Shows which names change and asks (--yes off a terminal).

Examples:
   envsafe restore --from HEAD~3 -e production
   envsafe restore --from v1.4.0 --yes`,
		Flags: []cli.Flag{
			envFlag(),
			&cli.StringFlag{Name: "from", Usage: "the git `COMMIT` to take the values from", Required: true},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"},
		},
		Action: func(c *cli.Context) error {
			return runRestore(c.Context, d, restoreOpts{env: c.String("env"), from: c.String("from"), yes: c.Bool("yes")})
		},
	}
}

func runRestore(ctx context.Context, d *Deps, o restoreOpts) error {
	s, env, id, err := d.open(ctx, o.env, audited("restore"))
	if err != nil {
		return err
	}
	if d.Git == nil {
		return fmt.Errorf("restore reads git history, and git is not available")
	}
	rev := strings.TrimSpace(o.from)
	if rev == "" || strings.HasPrefix(rev, "-") {
		return usagef("restore", "--from takes a git revision, such as HEAD~2 or a commit id")
	}
	data, err := d.Git(s.Root(), "show", rev+":./"+store.DirName+"/"+env+".age")
	if err != nil {
		return hint.With(fmt.Errorf("no %s at %s in git: %v", store.DirName+"/"+env+".age", rev, gitError(err)), "`envsafe log -e "+env+"` lists the commits that changed it")
	}
	old, err := s.OpenVersion(data, env, id.Identity)
	if err != nil {
		return err
	}
	current, err := s.Read(env, id.Identity)
	if err != nil {
		return err
	}
	var changes []string
	for _, name := range old.Names() {
		if v, ok := current.Lookup(name); !ok {
			changes = append(changes, "+"+name)
		} else if ov, _ := old.Lookup(name); ov != v {
			changes = append(changes, "~"+name)
		}
	}
	for _, name := range current.Names() {
		if _, ok := old.Lookup(name); !ok {
			changes = append(changes, "-"+name)
		}
	}
	if len(changes) == 0 {
		d.say("%s already holds the values it had at %s: nothing to restore.", env, rev)
		return nil
	}
	d.say("Restoring %s as at %s: %s", env, rev, strings.Join(changes, ", "))
	if err := d.confirm("restore", "Write these values as a new version of "+env, o.yes); err != nil {
		return err
	}
	now := d.Now()
	_, err = s.Update(ctx, env, id.Identity, func(p *payload.Payload) error {
		for _, name := range p.Names() {
			if _, ok := old.Lookup(name); !ok {
				p.Delete(name)
			}
		}
		for name, v := range old.All() {
			p.Set(name, v, now)
		}
		p.Conflicts = nil
		return nil
	})
	if err != nil {
		return err
	}
	d.say("Restored %s as a new version. Commit .envsafe/ and push.", env)
	return nil
}
