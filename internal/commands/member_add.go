package commands

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
	"github.com/urfave/cli/v2"
)

type memberAddOpts struct {
	name      string
	recipient string
	envs      []string
	yes       bool
	// sign is the member's public signing key and readOnly marks a
	// machine member, in a signed project.
	sign     string
	readOnly bool
	// allProjects adds the member in every project of the repository.
	allProjects bool
}

func newMemberAddCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "add",
		Usage:     "give a person or machine access to environments",
		ArgsUsage: "NAME [RECIPIENT]",
		Description: `RECIPIENT is their public key: age1... (from envsafe identity show),
age1pq1... (post-quantum), a hardware key's age1yubikey1... / age1tpm1... /
age1se1... (any age1NAME1...: encrypting to it runs age-plugin-NAME, which
every writer then needs) or tagged age1tag1... / age1tagpq1... (no plugin
needed to encrypt), or an SSH key "ssh-ed25519 AAAA..." / "ssh-rsa AAAA...".
For someone who is already a member, NAME alone adds environments with the
key team.yaml holds. Shows which environments gain whom, asks on a terminal
(--yes elsewhere), then re-encrypts them. You must be able to decrypt each
of them. --all-projects, in a repository holding several projects (a
monorepo), adds the member to those environments in every project that has
them: it shows every project's change, asks once, then re-encrypts each.

Examples:
   envsafe member add bob age1qyz... -e development
   envsafe member add bob -e staging                  (bob is a member already)
   envsafe member add ci-prod "$(cat ci.pub)" -e production --yes
   envsafe member add carol "ssh-ed25519 AAAAC3... carol@laptop" -e development -e staging
   envsafe member add ci "$(cat ci.pub)" -e production --all-projects --yes`,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "environment to grant (repeatable; default: team.yaml's default)"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"},
			&cli.StringFlag{Name: "sign", Usage: "their public signing `KEY` (signed projects; `envsafe identity show --sign` prints it)"},
			&cli.BoolFlag{Name: "read-only", Usage: "a reader that never writes, such as CI (signed projects)"},
			&cli.BoolFlag{Name: "all-projects", Usage: "add the member in every project of this repository (a monorepo) that has the environments"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 && c.NArg() != 2 {
				return usagef("member add", "member add takes NAME and RECIPIENT (quote an SSH key), or only the NAME of a member, got %s", plural(c.NArg(), "argument"))
			}
			return runMemberAdd(c.Context, d, memberAddOpts{name: c.Args().Get(0), recipient: c.Args().Get(1), envs: splitList(strings.Join(c.StringSlice("env"), ",")), yes: c.Bool("yes"), sign: c.String("sign"), readOnly: c.Bool("read-only"), allProjects: c.Bool("all-projects")})
		},
	}
}

func runMemberAdd(ctx context.Context, d *Deps, o memberAddOpts) error {
	if err := team.ValidateMemberName(o.name); err != nil {
		return usagef("member add", "%v", err)
	}
	if o.allProjects {
		if len(o.envs) == 0 {
			return usagef("member add", "--all-projects needs the environments to grant, named with -e: projects have defaults of their own")
		}
		return runMemberAddAll(ctx, d, o)
	}
	s, t, id, err := d.openTeam(ctx, audited("member add"))
	if err != nil {
		return err
	}
	if o.recipient == "" {
		m, ok := t.Member(o.name)
		if !ok {
			return usagef("member add", "%s is not a member yet: give their public key too, `envsafe member add %s RECIPIENT` (they print it with `envsafe identity show`)", o.name, o.name)
		}
		o.recipient, o.sign, o.readOnly = m.Recipient, cmp.Or(o.sign, m.Sign), o.readOnly || m.ReadOnly
	}
	recipient, err := team.ParseRecipient(o.recipient)
	if err != nil {
		return usagef("member add", "%v", err)
	}
	envs := o.envs
	if len(envs) == 0 {
		envs = []string{t.Default}
	}
	if err := checkNewMember(t, o.name, recipient); err != nil {
		return err
	}
	var gains []string
	for _, env := range envs {
		e, ok := t.Env(env)
		if !ok {
			return hint.With(fmt.Errorf("no environment %q in team.yaml", env), "this project has: "+strings.Join(t.EnvNames(), ", "))
		}
		if !slices.Contains(e.Members, o.name) {
			gains = append(gains, env)
		}
	}
	if len(gains) == 0 {
		d.say("%s can already read %s; nothing to do.", o.name, strings.Join(envs, ", "))
		return nil
	}
	d.say("Adding %s (%s). Who can read what, once re-encrypted:", o.name, identity.Short(recipient))
	access := accessAdd(team.Member{Name: o.name, Recipient: recipient, Sign: o.sign, ReadOnly: o.readOnly}, gains)
	access.Review = d.reviewAccess("member add", fmt.Sprintf("Re-encrypt %s to add %s", strings.Join(gains, ", "), o.name), o.yes)
	_, done, err := s.ChangeAccess(ctx, id.Identity, access)
	if errors.Is(err, store.ErrProposal) {
		return d.proposed()
	}
	if err != nil {
		return onlyMembersCanGrant(err, gains, "envsafe member add "+o.name+" KEY -e "+strings.Join(gains, " -e "))
	}
	d.say("Added %s to %s and re-encrypted it. Commit .envsafe/ and push.", o.name, strings.Join(done, ", "))
	d.sayNewPin(s)
	return nil
}

// checkNewMember refuses a name that holds another key, or a key that
// another name holds: replacing a key is rm then add, deliberately.
func checkNewMember(t *team.Team, name, recipient string) error {
	if m, ok := t.Member(name); ok && m.Recipient != recipient {
		return hint.With(fmt.Errorf("member %s already exists with another key (%s)", name, identity.Short(m.Recipient)),
			"to change their key, run `envsafe member rm "+name+"` first, then add them again")
	}
	if other, ok := t.MemberByRecipient(recipient); ok && other != name {
		return fmt.Errorf("that key already belongs to member %s", other)
	}
	return nil
}

func accessAdd(m team.Member, envs []string) store.Access {
	name, recipient := m.Name, m.Recipient
	return store.Access{
		Change: func(t *team.Team) error {
			if err := checkNewMember(t, name, recipient); err != nil {
				return err
			}
			if _, ok := t.Member(name); !ok {
				t.Members = append(t.Members, m)
			}
			for _, env := range envs {
				e, ok := t.Env(env)
				if !ok {
					return fmt.Errorf("no environment %q in team.yaml", env)
				}
				if !slices.Contains(e.Members, name) {
					e.Members = append(e.Members, name)
				}
			}
			return nil
		},
		Reencrypt: func(*team.Team) []string { return envs },
	}
}
