package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/keychain"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
)

type initOpts struct {
	envs []string
	name string
	pq   bool
}

func newInitCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "init",
		Usage: "start an envsafe project in this folder",
		Description: `Creates .envsafe/ with team.yaml and one encrypted file per environment,
with you as the only member. Creates your identity in the keychain if you
have none. Prompts only when run on a terminal.
Inside an existing project, init -e NAME creates the environments that are
missing, readable by you, as env add does (you must be a member); without
-e it says who you are there, or how to join.

Examples:
   envsafe init
   envsafe init -e development -e production --name alice
   envsafe init -e staging               # inside a project: add staging`,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "environment to create (repeatable; default: development)"},
			&cli.StringFlag{Name: "name", Usage: "your member `NAME` in team.yaml (default: from git config user.name, then $USER)"},
			&cli.BoolFlag{Name: "pq", Usage: "if a new identity is needed, make it post-quantum (age1pq1...)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("init", "init takes no arguments, got %q", c.Args().First())
			}
			return runInit(c.Context, d, initOpts{envs: c.StringSlice("env"), name: c.String("name"), pq: c.Bool("pq")})
		},
	}
}

func runInit(ctx context.Context, d *Deps, o initOpts) error {
	if s, err := store.Find(d.Dir); err == nil {
		envs, err := initEnvList(o.envs)
		if err != nil {
			return err
		}
		if len(envs) > 0 {
			return initMissingEnvs(ctx, d, envs)
		}
		return explainJoin(ctx, d, s)
	}
	name, envs, err := initAnswers(d, o)
	if err != nil {
		return err
	}
	id, created, err := ensureIdentity(ctx, d, o.pq)
	if err != nil {
		return err
	}
	t := &team.Team{Default: envs[0], Members: []team.Member{{Name: name, Recipient: id.Public()}}}
	for _, e := range envs {
		t.Environments = append(t.Environments, team.Environment{Name: e, Members: []string{name}})
	}
	s, err := store.Init(d.Dir, t)
	if err != nil {
		return err
	}
	if created {
		d.say("Created your identity %s in the %s.", identity.Short(id.Public()), id.Source)
		d.say("  Back it up: `envsafe identity export -o FILE`, and keep the file somewhere safe.")
	}
	d.say("Initialised %s with %s (default %s); member %s = %s.", filepath.Join(s.Root(), store.DirName),
		strings.Join(envs, ", "), envs[0], name, identity.Short(id.Public()))
	d.say("Next: `envsafe set NAME` or `envsafe import .env`, then commit .envsafe/.")
	warnIfIgnored(d, s)
	return offerHook(d, s)
}

// initAnswers settles the member name and environments from flags, then
// prompts on a terminal, then defaults; nothing is prompted without a TTY.
func initAnswers(d *Deps, o initOpts) (string, []string, error) {
	name := o.name
	if name == "" {
		name = defaultMemberName(d)
		if d.StdinIsTTY {
			var err error
			if name, err = d.Prompter.Input("Your member name in team.yaml", name, team.ValidateMemberName); err != nil {
				return "", nil, err
			}
		}
	}
	if err := team.ValidateMemberName(name); err != nil {
		return "", nil, usagef("init", "%v", err)
	}
	envs, err := initEnvList(o.envs)
	if err != nil {
		return "", nil, err
	}
	if len(envs) == 0 {
		envs = []string{"development"}
		if d.StdinIsTTY {
			answer, err := d.Prompter.Input("Environments (comma-separated, first is the default)", "development", validateEnvList)
			if err != nil {
				return "", nil, err
			}
			envs = splitList(answer)
		}
	}
	for _, e := range envs {
		if err := team.ValidateEnvName(e); err != nil {
			return "", nil, usagef("init", "%v", err)
		}
	}
	return name, envs, nil
}

// initEnvList accepts -e a -e b and -e a,b alike, each name valid.
func initEnvList(flags []string) ([]string, error) {
	var envs []string
	for _, e := range flags {
		for _, part := range strings.Split(e, ",") {
			if part = strings.TrimSpace(part); part != "" && !slices.Contains(envs, part) {
				if err := team.ValidateEnvName(part); err != nil {
					return nil, usagef("init", "%v", err)
				}
				envs = append(envs, part)
			}
		}
	}
	return envs, nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" && !slices.Contains(out, part) {
			out = append(out, part)
		}
	}
	return out
}

func validateEnvList(s string) error {
	list := splitList(s)
	if len(list) == 0 {
		return errors.New("name at least one environment")
	}
	for _, e := range list {
		if err := team.ValidateEnvName(e); err != nil {
			return err
		}
	}
	return nil
}

// defaultMemberName turns "Alice Smith" from git into "alice-smith";
// without a git name, the account and host ("alice@laptop"), which tell
// teammates who it is, never a name like "me" that means someone else on
// every machine.
func defaultMemberName(d *Deps) string {
	account := d.getenv("USER")
	if account == "" {
		account = d.getenv("USERNAME")
	}
	host, _ := os.Hostname()
	host, _, _ = strings.Cut(host, ".")
	for _, candidate := range []string{d.GitUserName(), account + "@" + host, account, host} {
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(candidate)) {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '-', r == '@':
				b.WriteRune(r)
			case r == ' ':
				b.WriteByte('-')
			}
		}
		if name := strings.Trim(b.String(), "-._@"); team.ValidateMemberName(name) == nil {
			return name
		}
	}
	return "member"
}

// ensureIdentity resolves the user's identity, creating one in the keychain
// only when the keychain works and holds none. It never writes a key file.
func ensureIdentity(ctx context.Context, d *Deps, pq bool) (*identity.Resolved, bool, error) {
	id, err := d.identity(ctx)
	if err == nil || !errors.Is(err, keychain.ErrNotFound) {
		return id, false, err
	}
	secret, _, err := identity.Generate(pq)
	if err != nil {
		return nil, false, err
	}
	saved, err := identity.Save(ctx, d.Keychain, secret)
	if err != nil {
		return nil, false, err
	}
	return &identity.Resolved{Identity: saved, Source: "keychain (" + d.Keychain.Backend() + ")"}, true, nil
}

// explainJoin answers `init` inside an existing project: say who you are
// there, or how to be let in.
func explainJoin(ctx context.Context, d *Deps, s *store.Store) error {
	t, err := s.Team()
	if err != nil {
		return err
	}
	id, created, err := ensureIdentity(ctx, d, false)
	if err != nil {
		return fmt.Errorf("this folder is already in the envsafe project at %s, and: %w", s.Root(), err)
	}
	if created {
		d.say("Created your identity %s in the %s.", identity.Short(id.Public()), id.Source)
	}
	if name, ok := t.MemberByRecipient(id.Public()); ok {
		var envs []string
		for _, e := range t.Environments {
			if slices.Contains(e.Members, name) {
				envs = append(envs, e.Name)
			}
		}
		d.say("This is already an envsafe project (%s); you are member %s with access to: %s.", s.Root(), name, strings.Join(envs, ", "))
		if err := offerGitSetup(ctx, d, s); err != nil {
			return err
		}
		return offerHook(d, s)
	}
	d.say("This folder is already in an envsafe project (%s), and you are not a member yet.", s.Root())
	d.say("To join, send your public key to a member of the team:")
	d.say("  %s", id.Public())
	d.say("They run `envsafe member add YOUR_NAME KEY -e ENV` and push; then pull.")
	return nil
}
