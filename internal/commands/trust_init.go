package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
	"github.com/envsafe/envsafe/internal/trust"
)

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
	proposed := t.Roster()
	for _, env := range t.EnvNames() {
		want, _ := sg.V.Recipients(env)
		if now := teamKeys(t, env); !slices.Equal(now, want) {
			envs = append(envs, env)
			continue
		}
		// A file signed by someone the new roster no longer counts as a
		// writer (made read-only, a new signing key, out of the
		// environment) would be refused everywhere once it is signed: this
		// admin, who reads it verified now, signs it again.
		p, err := s.Read(env, id.Identity)
		if err == nil && p.Sig != nil && !trust.IsWriter(proposed, env, p.Sig.Writer, p.Sig.Key) {
			envs = append(envs, env)
		} else if errors.Is(err, store.ErrNotRecipient) && losesWriter(sg.V.Roster.Team, proposed, env) {
			d.say("Not checked (you cannot read it): whether %s's last writer stays a writer; if not, one of its writers re-signs it with `envsafe rekey -e %s` before this change.", env, env)
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

func runTrustAdopt(ctx context.Context, d *Deps, envFlag string, yes bool) error {
	s, env, id, err := d.open(ctx, envFlag, audited("trust adopt"))
	if err != nil {
		return err
	}
	p, err := s.Read(env, id.Identity)
	if err != nil {
		return err
	}
	if p.Sig != nil {
		return fmt.Errorf("%s is already signed (by %s, sequence %d)", env, trust.QuoteName(p.Sig.Writer), p.Sig.Seq)
	}
	d.say("%s is unsigned; signing it, you vouch for what it holds now:", env)
	for _, name := range p.Names() {
		d.say("  %s\tchanged %s", name, p.Secrets[name].Updated.UTC().Format(time.RFC3339))
	}
	if d.Git != nil {
		if out, err := d.Git(s.Root(), "log", "-3", "--format=  %h %an %ar: %s", "--", store.DirName+"/"+env+".age"); err == nil && len(out) > 0 {
			d.say("Recent commits of its file:\n%s", strings.TrimRight(string(out), "\n"))
		}
	}
	if err := d.confirm("trust adopt", "Sign "+env+" as you", yes); err != nil {
		return err
	}
	rosterChanged, err := s.Adopt(ctx, env, id.Identity)
	if err != nil {
		return err
	}
	if rosterChanged {
		d.say("Signed %s and removed its unsigned allowance from the roster. Commit .envsafe/ and push.", env)
		d.sayNewPin(s)
	} else {
		d.say("Signed %s. Commit .envsafe/ and push; an admin removes its unsigned allowance from the roster with their next change.", env)
	}
	return nil
}

// losesWriter reports whether some writer of env under before is not one
// under after (read-only now, another signing key, out of env).
func losesWriter(before, after trust.Team, env string) bool {
	for _, m := range before.Members {
		if m.Sign != "" && trust.IsWriter(before, env, m.Name, m.Sign) && !trust.IsWriter(after, env, m.Name, m.Sign) {
			return true
		}
	}
	return false
}
