package commands

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
	"github.com/envsafe/envsafe/internal/trust"
	"github.com/urfave/cli/v2"
)

// EnvTrust names the variable that may carry a signed project's pin (CI).
const EnvTrust = "ENVSAFE_TRUST"

func newTrustCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "trust",
		Usage: "signed environments: pin this clone to a project's signed roster, show its pin",
		Description: `A signed project (one with .envsafe/team.sig) has every environment file
signed by a writer, checked against a roster its admins signed. This
machine checks them against a pin: the project's id, a checkpoint of its
admin log and a minimum roster version, given by an admin over another
channel than the repository (see docs/design/trust.md).

Examples:
   envsafe trust pin envsafe-trust:1:3f2a...:0:3f2a...:1
   envsafe trust show`,
		Subcommands: []*cli.Command{
			{
				Name:  "init",
				Usage: "sign this project: you become its first admin",
				Description: `Writes .envsafe/team.sig (the admin log and the signed roster, version 1,
from team.yaml) and signs every environment you can read, vouching for
what it holds now. Environments you cannot read stay readable unsigned until
one of their writers signs them. Prints the pin to give members and CI.

Examples:
   envsafe trust init --yes && git add .envsafe && git commit -m "envsafe: signed"`,
				Flags:  []cli.Flag{&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"}},
				Action: func(c *cli.Context) error { return runTrustInit(c.Context, d, c.Bool("yes")) },
			},
			{
				Name:  "apply",
				Usage: "sign team.yaml's changes as the next roster version (admins)",
				Description: `Shows how team.yaml (the proposal) differs from the signed roster, asks,
then signs it and re-encrypts the environments whose readers change.

Examples:
   envsafe trust apply`,
				Flags:  []cli.Flag{&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"}},
				Action: func(c *cli.Context) error { return runTrustApply(c.Context, d, c.Bool("yes")) },
			},
			{
				Name:      "pin",
				Usage:     "trust this project's signed roster from the pin an admin gave you",
				ArgsUsage: "PIN",
				Description: `Records the pin in this machine's state and binds this clone to the
project, then verifies the roster now.

Examples:
   envsafe trust pin envsafe-trust:1:3f2a...:0:3f2a...:1`,
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return usagef("trust pin", "trust pin takes one PIN (from `envsafe trust show` on an admin's machine)")
					}
					return runTrustPin(c.Context, d, c.Args().First())
				},
			},
			{
				Name:  "forget",
				Usage: "accept an older version of an environment again on this machine",
				Description: `envsafe refuses an environment file older than one this machine already
used: an old file is where a revoked password lives. After you threw away
newer versions that were never pushed (git checkout, git stash), forget
lowers what this machine remembers for that environment, once. The roster's
floor still holds.

Examples:
   envsafe trust forget -e production`,
				Flags: []cli.Flag{envFlag(), &cli.BoolFlag{Name: "roster", Usage: "forget the newest signed roster seen instead (after throwing away an unpushed roster change)"}},
				Action: func(c *cli.Context) error {
					if c.Bool("roster") {
						return runTrustForgetRoster(c.Context, d)
					}
					return runTrustForget(c.Context, d, c.String("env"))
				},
			},
			{
				Name:  "unpin",
				Usage: "stop checking signatures in this clone (after an admin made the project unsigned)",
				Description: `Removes this clone's binding to its signed project. Only for a project an
admin really made unsigned again: while the binding is there, a missing
team.sig is refused as an attack.

Examples:
   envsafe trust unpin --yes`,
				Flags:  []cli.Flag{&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"}},
				Action: func(c *cli.Context) error { return runTrustUnpin(c.Context, d, c.Bool("yes")) },
			},
			{
				Name:  "show",
				Usage: "print the pin members and CI use to verify this project",
				Description: `Examples:
   envsafe trust show`,
				Action: func(c *cli.Context) error { return runTrustShow(c.Context, d) },
			},
		},
	}
}

func runTrustInit(ctx context.Context, d *Deps, yes bool) error {
	s, t, id, err := d.openTeam(ctx, audited("trust init"))
	if err != nil {
		return err
	}
	d.say("Signing %s: you become its first admin and vouch for what %s hold now.", s.Root(), strings.Join(t.EnvNames(), ", "))
	if err := d.confirm("trust init", "Sign this project", yes); err != nil {
		return err
	}
	pin, signed, unsigned, err := s.InitTrust(ctx, id.Identity, store.StateDir(d.TrustStates), d.Now())
	if err != nil {
		return err
	}
	if err := store.StateDir(d.TrustStates).Bind(s.Root(), pin.Project); err != nil {
		return err
	}
	if _, err := fmt.Fprintln(d.Stdout, pin.String()); err != nil {
		return err
	}
	d.say("Signed %s (sequence 1). Commit .envsafe/ and push.", orNone(signed))
	if len(unsigned) > 0 {
		d.say("Still unsigned (you cannot read them): %s; a writer of each signs it with any write.", strings.Join(unsigned, ", "))
	}
	d.say("Give each member the pin above over another channel than git: they run `envsafe trust pin PIN`.")
	d.say("CI: add the line `%s %s` to its identity secret.", identity.TrustPinPrefix, pin)
	return nil
}

func runTrustApply(ctx context.Context, d *Deps, yes bool) error {
	s, t, id, err := d.openTeam(ctx, audited("trust apply"))
	if err != nil {
		return err
	}
	sg, err := s.SignedContext()
	if err != nil {
		return err
	}
	if sg == nil {
		return hint.With(fmt.Errorf("%s has no signed roster", s.Root()), "sign it first with `envsafe trust init`")
	}
	diff := t.Diff(sg.V.Roster.Team)
	if len(diff) == 0 {
		d.say("team.yaml matches the signed roster (version %d): nothing to apply.", sg.V.Roster.Version)
		return nil
	}
	d.say("team.yaml differs from the signed roster (version %d):", sg.V.Roster.Version)
	for _, line := range diff {
		d.say("  %s", line)
	}
	var envs []string
	for _, env := range t.EnvNames() {
		want, _ := sg.V.Recipients(env)
		if now := teamKeys(t, env); !slices.Equal(now, want) {
			envs = append(envs, env)
		}
	}
	_, done, err := s.ChangeAccess(ctx, id.Identity, store.Access{
		Reencrypt:    func(*team.Team) []string { return envs },
		Review:       d.reviewAccess("trust apply", fmt.Sprintf("Sign roster version %d", sg.V.Roster.Version+1), yes),
		SignProposal: true,
	})
	if err != nil {
		return err
	}
	d.say("Signed roster version %d; re-encrypted %s. Commit .envsafe/ and push.", sg.V.Roster.Version+1, orNone(done))
	d.sayNewPin(s)
	return nil
}

// teamKeys lists the recipients team.yaml gives env.
func teamKeys(t *team.Team, env string) []string {
	rs, _ := t.Recipients(env)
	keys := make([]string, len(rs))
	for i, r := range rs {
		keys[i] = r.String()
	}
	return keys
}

func runTrustPin(ctx context.Context, d *Deps, text string) error {
	pin, err := trust.ParsePin(strings.TrimSpace(text))
	if err != nil {
		return usagef("trust pin", "%v", err)
	}
	s, id, err := d.openProject(ctx, audited("trust pin"))
	if err != nil {
		return err
	}
	if !s.IsSigned() {
		return hint.With(fmt.Errorf("%s has no signed roster (.envsafe/team.sig)", s.Root()), "pull the branch that has it, or ask an admin to sign the project")
	}
	if bound := d.boundProject(s); bound != "" && bound != pin.Project {
		return hint.With(fmt.Errorf("%w: this clone is bound to project %s, the pin is for %s", trust.ErrOtherProject, short(bound), short(pin.Project)),
			"if the project really was started again, ask an admin why; envsafe never re-pins silently")
	}
	states := store.StateDir(d.TrustStates)
	if _, err := states.Raise(pin.Project, trust.State{Checkpoint: pin.Checkpoint, RosterVersion: pin.MinRoster}); err != nil {
		return err
	}
	sg, err := s.LoadSigned(pin, states, id.Identity)
	if err != nil {
		return err
	}
	if err := states.Bind(s.Root(), pin.Project); err != nil {
		return err
	}
	d.say("Pinned %s to project %s: signed roster version %d verified (admins: %s).", s.Root(), short(pin.Project), sg.V.Roster.Version, adminNames(sg.V))
	for _, w := range sg.V.Warnings {
		d.warn("%s", w)
	}
	return nil
}

func runTrustForget(ctx context.Context, d *Deps, envFlag string) error {
	s, env, _, err := d.open(ctx, envFlag, audited("trust forget"))
	if err != nil {
		return err
	}
	project := d.boundProject(s)
	if project == "" {
		return hint.With(fmt.Errorf("%s is not bound to a signed project", s.Root()), "`envsafe trust pin PIN` binds it")
	}
	if err := store.StateDir(d.TrustStates).Forget(project, env); err != nil {
		return err
	}
	d.warn("this machine now accepts the current %s again, even if it is older than one it used: check it is the version you mean (`git log -- .envsafe/%s.age`)", env, env)
	return nil
}

func runTrustUnpin(_ context.Context, d *Deps, yes bool) error {
	s, err := d.project(audited("trust unpin"))
	if err != nil {
		return err
	}
	states := store.StateDir(d.TrustStates)
	if states.Bound(s.Root()) == "" {
		return fmt.Errorf("%s is not bound to a signed project", s.Root())
	}
	if err := d.confirm("trust unpin", "Stop checking signatures in this clone", yes); err != nil {
		return err
	}
	return states.Unbind(s.Root())
}

func runTrustForgetRoster(ctx context.Context, d *Deps) error {
	s, id, err := d.openProject(ctx, audited("trust forget"))
	if err != nil {
		return err
	}
	pin, err := d.trustPin(s, id)
	if err != nil {
		return err
	}
	if pin.IsZero() {
		return hint.With(fmt.Errorf("%s is not pinned", s.Root()), "`envsafe trust pin PIN` pins it")
	}
	pin.MinRoster = 0 // the point: accept an older roster than the one recorded
	version, err := store.StateDir(d.TrustStates).ForgetRoster(s, pin)
	if err != nil {
		return err
	}
	d.warn("this machine now accepts signed roster version %d again, the one in this checkout: check it is the one you mean (`git log -- .envsafe/team.sig`)", version)
	return nil
}

func runTrustShow(ctx context.Context, d *Deps) error {
	s, err := d.project(audited("trust show"))
	if err != nil {
		return err
	}
	if !s.IsSigned() {
		return hint.With(fmt.Errorf("%s has no signed roster (.envsafe/team.sig)", s.Root()), "signatures are not checked in this project")
	}
	sg, err := s.SignedContext()
	if err != nil {
		return err
	}
	pin := sg.V.Pin().String()
	if _, err := fmt.Fprintln(d.Stdout, pin); err != nil {
		return err
	}
	d.say("Members: `envsafe trust pin %s`.", pin)
	d.say("CI: add the line `%s %s` to its identity secret.", identity.TrustPinPrefix, pin)
	return nil
}

// trustPin finds the pin for a signed project: ENVSAFE_TRUST or the
// identity's `# envsafe-trust:` line (CI), else the clone's binding with
// what this machine recorded for that project (members). Two different
// explicit pins, or a pin for another project than the clone is bound to,
// are refused: a pushed .envrc must not be able to re-pin a clone.
func (d *Deps) trustPin(s *store.Store, id *identity.Resolved) (trust.Pin, error) {
	var explicit []string
	if v, ok := d.LookupEnv(EnvTrust); ok {
		if strings.TrimSpace(v) == "" {
			return trust.Pin{}, hint.With(fmt.Errorf("%w: %s is set but empty", store.ErrIntegrity, EnvTrust), "set it to the pin an admin gave you, or unset it")
		}
		explicit = append(explicit, strings.TrimSpace(v))
	}
	if id.TrustPin != "" {
		explicit = append(explicit, id.TrustPin)
	}
	var pin trust.Pin
	for i, text := range explicit {
		p, err := trust.ParsePin(text)
		if err != nil {
			return trust.Pin{}, hint.With(fmt.Errorf("%w: %w", store.ErrIntegrity, err), "check "+EnvTrust+" and the identity's "+identity.TrustPinPrefix+" line")
		}
		if i > 0 && p != pin {
			return trust.Pin{}, hint.With(fmt.Errorf("%w: %s and the identity's %s line give different pins", store.ErrIntegrity, EnvTrust, identity.TrustPinPrefix), "keep one of them")
		}
		pin = p
	}
	bound := d.boundProject(s)
	switch {
	case !pin.IsZero() && bound != "" && bound != pin.Project:
		return trust.Pin{}, fmt.Errorf("%w: %w: this clone is bound to project %s, the pin given is for %s", store.ErrIntegrity, trust.ErrOtherProject, short(bound), short(pin.Project))
	case !pin.IsZero():
		return pin, nil
	case bound == "":
		return trust.Pin{}, nil
	}
	st, err := store.StateDir(d.TrustStates).Load(bound)
	if err != nil || st.Checkpoint.IsZero() {
		return trust.Pin{}, err
	}
	return trust.Pin{Project: bound, Checkpoint: st.Checkpoint, MinRoster: st.RosterVersion}, nil
}

// pinned reports whether this machine holds a pin for the project: the
// clone is bound (one stat), ENVSAFE_TRUST is set, or the identity in
// ENVSAFE_IDENTITY / ENVSAFE_IDENTITY_FILE carries a pin line (CI). The
// keychain is not asked: members are bound.
func (d *Deps) pinned(s *store.Store) bool {
	if d.boundProject(s) != "" || strings.TrimSpace(d.getenv(EnvTrust)) != "" {
		return true
	}
	if text, ok := d.LookupEnv(identity.EnvIdentity); ok {
		return strings.Contains(text, identity.TrustPinPrefix)
	}
	if path, ok := d.LookupEnv(identity.EnvIdentityFile); ok && path != "" {
		data, err := os.ReadFile(resolvePath(d, path))
		return err == nil && bytes.Contains(data, []byte(identity.TrustPinPrefix))
	}
	return false
}

// boundProject is the project id this clone is bound to ("" if none).
func (d *Deps) boundProject(s *store.Store) string {
	return store.StateDir(d.TrustStates).Bound(s.Root())
}

// loadTrust is the store's LoadTrust: this machine's pin and state for the
// project, and the caller's identity.
func (d *Deps) loadTrust(s *store.Store) (*store.Signed, error) {
	id, err := d.identity(context.Background())
	if err != nil {
		return nil, err
	}
	return d.loadTrustAs(id)(s)
}

// loadTrustAs is loadTrust for a command that already resolved its
// identity: the keychain or key file is not read twice.
func (d *Deps) loadTrustAs(id *identity.Resolved) func(*store.Store) (*store.Signed, error) {
	return func(s *store.Store) (*store.Signed, error) { return d.loadSigned(s, id) }
}

func (d *Deps) loadSigned(s *store.Store, id *identity.Resolved) (*store.Signed, error) {
	if d.TrustStates == "" {
		return nil, errors.New("no folder for trust state (set XDG_STATE_HOME or HOME)")
	}
	pin, err := d.trustPin(s, id)
	if err != nil {
		return nil, err
	}
	states := store.StateDir(d.TrustStates)
	sg, err := s.LoadSigned(pin, states, id.Identity)
	if errors.Is(err, trust.ErrRollback) {
		// Merging a newer roster into a branch that is behind: the side
		// being merged in has it, and the drivers verify against that.
		if data, from := d.mergingTeamSig(s); data != nil {
			sg, err = s.LoadSignedFrom(data, from, pin, states, id.Identity)
		}
	}
	if err != nil {
		return nil, err
	}
	for _, w := range sg.V.Warnings {
		d.warn("%s", w)
	}
	return sg, nil
}

func adminNames(v *trust.Verified) string {
	var names []string
	for _, a := range v.Admins {
		names = append(names, trust.QuoteName(a.Name))
	}
	return strings.Join(names, ", ")
}

func short(project string) string {
	if len(project) > 12 {
		return project[:12]
	}
	return project
}

// mergingTeamSig returns team.sig as the commit being merged, rebased onto
// or cherry-picked has it, while one of those is in progress (nil
// otherwise), and names it.
func (d *Deps) mergingTeamSig(s *store.Store) ([]byte, string) {
	if d.Git == nil {
		return nil, ""
	}
	for _, ref := range []string{"MERGE_HEAD", "REBASE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD"} {
		if _, err := d.Git(s.Root(), "rev-parse", "-q", "--verify", ref); err != nil {
			continue
		}
		data, err := d.Git(s.Root(), "show", ref+":./"+store.DirName+"/"+store.TeamSigFile)
		if err == nil {
			return data, store.DirName + "/" + store.TeamSigFile + " of " + ref
		}
	}
	return nil, ""
}

// signedView returns, for a signed project, the team as the signed roster
// says it (what readers and writers really are) and how team.yaml differs
// from it (an unsigned proposal); for an unsigned one, t and nothing.
func signedView(s *store.Store, t *team.Team) (*team.Team, []string, error) {
	if !s.IsSigned() {
		return t, nil, nil
	}
	sg, err := s.SignedContext()
	if err != nil {
		return nil, nil, err
	}
	signed, err := team.FromRoster(sg.V.Roster.Team)
	if err != nil {
		return nil, nil, err
	}
	return signed, t.Diff(sg.V.Roster.Team), nil
}
