package team

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/trust"
)

// Writer reports whether name may write env: listed in it, not read-only,
// and able to sign (a signing key, or an ssh-ed25519 recipient, which signs
// itself). It mirrors the signed roster's rule so that team.yaml can say
// who will be able to write once an admin signs it; what counts for a
// file that is being read is the verified roster's CheckWriter.
func (t *Team) Writer(env, name string) bool {
	e, ok := t.Env(env)
	if !ok || !slices.Contains(e.Members, name) {
		return false
	}
	m, ok := t.Member(name)
	if !ok || m.ReadOnly {
		return false
	}
	return m.Sign != "" || strings.HasPrefix(m.Recipient, sshEd25519+" ")
}

// IsAdmin reports whether team.yaml lists name under admins. It is a
// display and a proposal: the admins whose signatures count are those of
// team.sig's admin log.
func (t *Team) IsAdmin(name string) bool {
	return slices.Contains(t.Admins, name)
}

// Roster returns the team in the shape the signed roster carries, for an
// admin about to sign team.yaml's proposal. Admins are not part of it (the
// admin log holds them, with their keys); max_age entries are written by
// FormatDuration and, as Marshal does, only for environments still listed.
func (t *Team) Roster() trust.Team {
	r := trust.Team{
		Default:      t.Default,
		Members:      make([]trust.Member, len(t.Members)),
		Environments: make([]trust.Environment, len(t.Environments)),
		MaxAge:       map[string]string{},
	}
	for i, m := range t.Members {
		r.Members[i] = trust.Member{Name: m.Name, Recipient: m.Recipient, Sign: m.Sign, ReadOnly: m.ReadOnly}
	}
	for i, e := range t.Environments {
		members := slices.Clone(e.Members)
		if members == nil {
			members = []string{}
		}
		r.Environments[i] = trust.Environment{Name: e.Name, Members: members}
		if d := t.MaxAge[e.Name]; d > 0 {
			r.MaxAge[e.Name] = FormatDuration(d)
		}
	}
	return r
}

// FromRoster makes the team.yaml view of a signed roster, to write
// team.yaml back from what admins signed (a fresh clone, or a proposal
// dropped). It refuses a roster that team.yaml could not hold, with the
// same rules as Parse, so the result always marshals. Admins is left empty:
// the caller fills it from the admin log if team.yaml should show them.
func FromRoster(r trust.Team) (*Team, error) {
	t := &Team{Default: r.Default}
	signers := map[string]string{}
	for _, rm := range r.Members {
		if err := ValidateMemberName(rm.Name); err != nil {
			return nil, rosterErr("%v", err)
		}
		if _, dup := t.Member(rm.Name); dup {
			return nil, rosterErr("member %q is listed twice", rm.Name)
		}
		m := Member{Name: rm.Name, ReadOnly: rm.ReadOnly}
		var err error
		if m.Recipient, err = ParseRecipient(rm.Recipient); err != nil {
			return nil, rosterErr("member %q: %v", rm.Name, err)
		}
		if other, dup := t.MemberByRecipient(m.Recipient); dup {
			return nil, rosterErr("member %q has the same key as member %q", rm.Name, other)
		}
		if rm.Sign != "" {
			if m.Sign, err = normalizeSign(rm.Sign); err != nil {
				return nil, rosterErr("member %q: %v", rm.Name, err)
			}
		}
		pub, err := signingKey(m)
		if err != nil {
			return nil, rosterErr("member %q: %v", rm.Name, err)
		}
		if pub != nil {
			if other, dup := signers[string(pub)]; dup {
				return nil, rosterErr("member %q has the same signing key as member %q", rm.Name, other)
			}
			signers[string(pub)] = rm.Name
		}
		t.Members = append(t.Members, m)
	}
	for _, re := range r.Environments {
		if err := ValidateEnvName(re.Name); err != nil {
			return nil, rosterErr("%v", err)
		}
		if _, dup := t.Env(re.Name); dup {
			return nil, rosterErr("environment %q is listed twice", re.Name)
		}
		e := Environment{Name: re.Name, Members: []string{}}
		for _, name := range re.Members {
			if _, ok := t.Member(name); !ok {
				return nil, rosterErr("environment %q lists %q, who is not a member", re.Name, name)
			}
			if slices.Contains(e.Members, name) {
				return nil, rosterErr("environment %q lists %q twice", re.Name, name)
			}
			e.Members = append(e.Members, name)
		}
		t.Environments = append(t.Environments, e)
	}
	if len(t.Environments) == 0 {
		return nil, rosterErr("no environments")
	}
	if t.Default == "" {
		t.Default = t.Environments[0].Name
	}
	if _, ok := t.Env(t.Default); !ok {
		return nil, rosterErr("default environment %q is not an environment", t.Default)
	}
	// In environment order, so that the first error is the same every time.
	for _, e := range t.Environments {
		text, ok := r.MaxAge[e.Name]
		if !ok {
			continue
		}
		d, err := ParseDuration(text)
		if err != nil {
			return nil, rosterErr("max_age of %q: %v", e.Name, err)
		}
		if t.MaxAge == nil {
			t.MaxAge = map[string]time.Duration{}
		}
		t.MaxAge[e.Name] = d
	}
	for env := range r.MaxAge {
		if _, ok := t.Env(env); !ok {
			return nil, rosterErr("max_age names %q, which is not an environment", env)
		}
	}
	return t, nil
}

func rosterErr(format string, args ...any) error {
	return fmt.Errorf("%w: signed roster: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// SameAs reports whether team.yaml says what the signed roster says, so
// that `status` and `check` can tell a pending proposal from a file that
// only looks different. It compares meaning, not text: the order of
// members and environments, an ssh key's comment, a signing key's text
// form, 12w against 84d, an omitted default against the first environment
// and an ssh-ed25519 member's sign that repeats their recipient do not
// count. Admins are not in the roster; DiffAdmins compares them with the
// admin log. SameAs is exactly "Diff returns nothing".
func (t *Team) SameAs(r trust.Team) bool {
	return len(t.Diff(r)) == 0
}

// Diff describes, one line each, how team.yaml (the proposal) differs from
// the signed roster r, for a reviewer deciding whether to sign it:
//
//	default: staging → production
//	+ member dave
//	- member bob
//	alice: now read-only
//	ci: recipient key changed
//	+ environment qa: alice, dave
//	production: + dave
//	production: max_age 90d → 30d
//
// Lines come by kind in that order (additions before removals), then by
// name, whatever order either side lists things in, so the same change
// always reads the same. The comparison is SameAs's; nil means there is
// nothing to sign.
func (t *Team) Diff(r trust.Team) []string {
	var d differ
	tv, rv := viewOf(t.Roster()), viewOf(r)
	if tv.def != rv.def {
		d.add(kindDefault, "", "default: %s → %s", showEnv(rv.def), showEnv(tv.def))
	}
	for _, name := range tv.memberOrder {
		m := tv.members[name]
		if _, ok := rv.members[name]; !ok {
			suffix := ""
			if m.readOnly {
				suffix = " (read-only)"
			}
			d.add(kindMemberAdded, name, "+ member %s%s", showMember(name), suffix)
		}
	}
	for _, name := range rv.memberOrder {
		old := rv.members[name]
		m, ok := tv.members[name]
		if !ok {
			d.add(kindMemberRemoved, name, "- member %s", showMember(name))
			continue
		}
		who := showMember(name)
		if m.recipient != old.recipient {
			d.add(kindMemberChanged, name, "%s: recipient key changed", who)
		}
		// An ssh-ed25519 member signs with their recipient: a new SSH key
		// is one change, already said.
		sshBoth := strings.HasPrefix(m.recipient, sshEd25519+" ") && strings.HasPrefix(old.recipient, sshEd25519+" ")
		switch {
		case m.signer == old.signer && m.badSign == old.badSign, sshBoth:
		case !old.hasSign():
			d.add(kindMemberChanged, name, "%s: signing key added", who)
		case !m.hasSign():
			d.add(kindMemberChanged, name, "%s: signing key removed", who)
		default:
			d.add(kindMemberChanged, name, "%s: signing key changed", who)
		}
		if m.readOnly != old.readOnly {
			if m.readOnly {
				d.add(kindMemberChanged, name, "%s: now read-only", who)
			} else {
				d.add(kindMemberChanged, name, "%s: no longer read-only", who)
			}
		}
	}
	for _, env := range tv.envOrder {
		if _, ok := rv.envs[env]; !ok {
			members := tv.envList[env]
			shown := make([]string, len(members))
			for i, m := range members {
				shown[i] = showMember(m)
			}
			if len(shown) == 0 {
				d.add(kindEnvAdded, env, "+ environment %s (no members)", showEnv(env))
			} else {
				d.add(kindEnvAdded, env, "+ environment %s: %s", showEnv(env), strings.Join(shown, ", "))
			}
		}
	}
	for _, env := range rv.envOrder {
		old := rv.envs[env]
		now, ok := tv.envs[env]
		if !ok {
			d.add(kindEnvRemoved, env, "- environment %s", showEnv(env))
			continue
		}
		for name := range now {
			if !old[name] {
				d.add(kindEnvMembers, env, "%s: + %s", showEnv(env), showMember(name))
			}
		}
		for name := range old {
			if !now[name] {
				d.add(kindEnvMembers, env, "%s: - %s", showEnv(env), showMember(name))
			}
		}
	}
	for _, env := range tv.envOrder {
		now, was := tv.maxAge[env], rv.maxAge[env]
		if now != was {
			d.add(kindMaxAge, env, "%s: max_age %s → %s", showEnv(env), was.String(), now.String())
		}
	}
	return d.lines()
}

// DiffAdmins describes how team.yaml's admins differ from the admins of
// team.sig's admin log ("admins: + carol", then "admins: - bob"), and names an
// admin whose signing key in team.yaml is not the key the log holds for
// them ("admins: alice: signing key changed"). Admins live in the log, not
// in the roster, so Diff cannot see them; a change here needs a new log
// entry signed by the current admins.
func (t *Team) DiffAdmins(log []trust.Admin) []string {
	var d differ
	inLog := map[string]trust.Admin{}
	for _, a := range log {
		if _, dup := inLog[a.Name]; !dup {
			inLog[a.Name] = a
		}
	}
	for _, name := range t.Admins {
		a, ok := inLog[name]
		if !ok {
			d.add(kindMemberAdded, name, "admins: + %s", showMember(name))
			continue
		}
		m, ok := t.Member(name)
		if !ok {
			continue
		}
		mine, err := signingKey(*m)
		if err != nil || mine == nil {
			continue
		}
		if logKey, err := trust.ParsePublicKey(a.Key); err != nil || !bytes.Equal(mine, logKey) {
			d.add(kindMemberChanged, name, "admins: %s: signing key changed", showMember(name))
		}
	}
	for name := range inLog {
		if !slices.Contains(t.Admins, name) {
			d.add(kindMemberRemoved, name, "admins: - %s", showMember(name))
		}
	}
	return d.lines()
}

// The kinds of Diff lines, in the order a reviewer reads them: the default,
// who joins or leaves, what changes for who stays, then environments.
const (
	kindDefault = iota
	kindMemberAdded
	kindMemberRemoved
	kindMemberChanged
	kindEnvAdded
	kindEnvRemoved
	kindEnvMembers
	kindMaxAge
)

type diffLine struct {
	kind int
	name string
	text string
}

// differ collects Diff lines and sorts them, so that map iteration and
// file order never change the output.
type differ struct{ all []diffLine }

func (d *differ) add(kind int, name, format string, args ...any) {
	d.all = append(d.all, diffLine{kind, name, fmt.Sprintf(format, args...)})
}

func (d *differ) lines() []string {
	if len(d.all) == 0 {
		return nil
	}
	slices.SortFunc(d.all, func(a, b diffLine) int {
		return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.name, b.name), cmp.Compare(a.text, b.text))
	})
	out := make([]string, 0, len(d.all))
	for _, l := range d.all {
		if len(out) == 0 || out[len(out)-1] != l.text {
			out = append(out, l.text)
		}
	}
	return out
}

// memberView is what a member means, for comparison: the recipient in
// team.yaml's form and the raw signing key (not its text).
type memberView struct {
	recipient string
	signer    string
	badSign   string // a sign text that does not parse (roster side only)
	readOnly  bool
}

func (m memberView) hasSign() bool { return m.signer != "" || m.badSign != "" }

// maxAgeView is one max_age: a duration, or the text of one that does not
// parse (only possible on the roster side), which then differs from any.
type maxAgeView struct {
	d    time.Duration
	text string
}

func (a maxAgeView) String() string {
	switch {
	case a.text != "":
		return trust.QuoteName(a.text)
	case a.d == 0:
		return "none"
	}
	return FormatDuration(a.d)
}

// rosterView is a trust.Team normalized for SameAs and Diff. The first of
// two entries with one name wins: a roster that has two is refused by
// the trust package before anyone compares it.
type rosterView struct {
	def         string
	members     map[string]memberView
	memberOrder []string
	envs        map[string]map[string]bool
	envList     map[string][]string
	envOrder    []string
	maxAge      map[string]maxAgeView
}

func viewOf(r trust.Team) rosterView {
	v := rosterView{
		def:     r.Default,
		members: map[string]memberView{},
		envs:    map[string]map[string]bool{},
		envList: map[string][]string{},
		maxAge:  map[string]maxAgeView{},
	}
	for _, m := range r.Members {
		if _, dup := v.members[m.Name]; dup {
			continue
		}
		mv := memberView{recipient: m.Recipient, readOnly: m.ReadOnly}
		if rc, err := crypt.ParseRecipient(m.Recipient); err == nil {
			mv.recipient = rc.String()
		}
		if pub, err := signingKey(Member{Recipient: mv.recipient, Sign: strings.TrimSpace(m.Sign)}); err == nil && pub != nil {
			mv.signer = string(pub)
		} else if err != nil {
			// A signing key that does not parse still differs from any
			// that does, and from none.
			mv.badSign = m.Sign
		}
		v.members[m.Name] = mv
		v.memberOrder = append(v.memberOrder, m.Name)
	}
	for _, e := range r.Environments {
		if _, dup := v.envs[e.Name]; dup {
			continue
		}
		set := map[string]bool{}
		for _, m := range e.Members {
			set[m] = true
		}
		v.envs[e.Name] = set
		v.envList[e.Name] = e.Members
		v.envOrder = append(v.envOrder, e.Name)
		if text, ok := r.MaxAge[e.Name]; ok {
			if d, err := ParseDuration(text); err == nil {
				v.maxAge[e.Name] = maxAgeView{d: d}
			} else {
				v.maxAge[e.Name] = maxAgeView{text: text}
			}
		}
	}
	// Parse's rule: no default means the first environment.
	if v.def == "" && len(v.envOrder) > 0 {
		v.def = v.envOrder[0]
	}
	return v
}

// showMember and showEnv print a name as it is when it is a valid name
// (nothing in it can mislead a terminal) and quoted by trust.QuoteName
// otherwise: Diff may be handed a roster nobody has checked yet.
func showMember(name string) string {
	if ValidateMemberName(name) == nil {
		return name
	}
	return trust.QuoteName(name)
}

func showEnv(name string) string {
	if ValidateEnvName(name) == nil {
		return name
	}
	return trust.QuoteName(name)
}
