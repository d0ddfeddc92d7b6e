package team

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/envsafe/envsafe/internal/trust"
)

// rosterTeam is a version 2 team with every kind of member: a signing key,
// an SSH signer, a read-only machine, and one who cannot sign.
func rosterTeam(t *testing.T) *Team {
	t.Helper()
	bobSSH, _ := sshKey(3)
	return mustParse(t, `version: 2
default: production
admins: [alice]
members:
  alice: {recipient: `+ageA+`, sign: `+signKey(1)+`}
  bob: `+bobSSH+`
  ci-prod: {recipient: `+ageB+`, sign: `+signKey(2)+`, read_only: true}
  dana: `+ageC+`
environments:
  development: [alice, bob, dana]
  production: [alice, ci-prod]
  empty: []
max_age:
  production: 12w
  development: 36h
`)
}

func TestRosterRoundTrip(t *testing.T) {
	tm := rosterTeam(t)
	bobSSH, _ := sshKey(3)
	r := tm.Roster()
	want := trust.Team{
		Default: "production",
		Members: []trust.Member{
			{Name: "alice", Recipient: ageA, Sign: signKey(1)},
			{Name: "bob", Recipient: bobSSH},
			{Name: "ci-prod", Recipient: ageB, Sign: signKey(2), ReadOnly: true},
			{Name: "dana", Recipient: ageC},
		},
		Environments: []trust.Environment{
			{Name: "development", Members: []string{"alice", "bob", "dana"}},
			{Name: "production", Members: []string{"alice", "ci-prod"}},
			{Name: "empty", Members: []string{}},
		},
		MaxAge: map[string]string{"production": "84d", "development": "36h"},
	}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("Roster() =\n%+v\nwant\n%+v", r, want)
	}
	back, err := FromRoster(r)
	if err != nil {
		t.Fatal(err)
	}
	// Everything but admins, which the roster does not carry.
	tm.Admins = nil
	if !sameTeam(back, tm) {
		t.Fatalf("FromRoster(Roster()) =\n%+v\nwant\n%+v", back, tm)
	}
	if !back.SameAs(r) || !tm.SameAs(r) {
		t.Fatal("a team is not the same as its own roster")
	}
	// And it is a team.yaml: it marshals and reads back.
	if again := mustParse(t, mustMarshal(t, back)); !sameTeam(again, back) {
		t.Fatalf("FromRoster's team does not round-trip through team.yaml")
	}
	// The roster an admin would sign from team.yaml is one the trust
	// package accepts, so signing a valid team.yaml never fails there.
	admin := edKey(1)
	genesis, err := trust.NewGenesis("alice", admin, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := trust.SignRoster([]trust.LogLine{genesis}, trust.Roster{Version: 1, Team: r}, time.Unix(1700000000, 0), admin); err != nil {
		t.Fatalf("trust refuses the roster of a valid team.yaml: %v", err)
	}
}

func TestFromRosterDefaultsAndNormalizes(t *testing.T) {
	bobSSH, bobSign := sshKey(3)
	tm, err := FromRoster(trust.Team{
		Members: []trust.Member{{Name: "bob", Recipient: bobSSH + " bob@laptop", Sign: bobSign}},
		Environments: []trust.Environment{
			{Name: "staging", Members: []string{"bob"}},
			{Name: "prod", Members: nil},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if tm.Default != "staging" || tm.Members[0].Recipient != bobSSH || tm.MaxAge != nil || tm.Environments[1].Members == nil {
		t.Fatalf("FromRoster = %+v", tm)
	}
}

func TestFromRosterRefuses(t *testing.T) {
	bobSSH, bobSign := sshKey(3)
	otherSSH, _ := sshKey(4)
	base := func() trust.Team {
		return trust.Team{
			Default: "dev",
			Members: []trust.Member{
				{Name: "alice", Recipient: ageA, Sign: signKey(1)},
				{Name: "bob", Recipient: bobSSH},
			},
			Environments: []trust.Environment{{Name: "dev", Members: []string{"alice", "bob"}}},
			MaxAge:       map[string]string{"dev": "90d"},
		}
	}
	if _, err := FromRoster(base()); err != nil {
		t.Fatalf("the base roster is refused: %v", err)
	}
	cases := map[string]struct {
		change func(*trust.Team)
		want   string
	}{
		"bad member name":   {func(r *trust.Team) { r.Members[0].Name = "al ice" }, "invalid member name"},
		"member twice":      {func(r *trust.Team) { r.Members[1].Name = "alice" }, `member "alice" is listed twice`},
		"bad recipient":     {func(r *trust.Team) { r.Members[0].Recipient = "age1nope" }, `member "alice": invalid recipient`},
		"recipient twice":   {func(r *trust.Team) { r.Members[1].Recipient = ageA }, `member "bob" has the same key as member "alice"`},
		"bad sign":          {func(r *trust.Team) { r.Members[0].Sign = "envsafe-ed25519:xx" }, `member "alice": signing key`},
		"sign twice":        {func(r *trust.Team) { r.Members[0].Sign = bobSign }, `member "bob" has the same signing key as member "alice"`},
		"ssh other key":     {func(r *trust.Team) { r.Members[1].Sign = otherSSH }, `member "bob": an ssh-ed25519 member signs with their SSH key`},
		"bad env name":      {func(r *trust.Team) { r.Environments[0].Name = "../x" }, "invalid environment name"},
		"env twice":         {func(r *trust.Team) { r.Environments = append(r.Environments, r.Environments[0]) }, `environment "dev" is listed twice`},
		"unknown in env":    {func(r *trust.Team) { r.Environments[0].Members = []string{"carol"} }, `environment "dev" lists "carol", who is not a member`},
		"twice in env":      {func(r *trust.Team) { r.Environments[0].Members = []string{"bob", "bob"} }, `environment "dev" lists "bob" twice`},
		"no environments":   {func(r *trust.Team) { r.Environments, r.Default, r.MaxAge = nil, "", nil }, "no environments"},
		"missing default":   {func(r *trust.Team) { r.Default = "prod" }, `default environment "prod"`},
		"bad max_age":       {func(r *trust.Team) { r.MaxAge["dev"] = "3 months" }, `max_age of "dev"`},
		"max_age elsewhere": {func(r *trust.Team) { r.MaxAge["prod"] = "1d" }, `max_age names "prod"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := base()
			c.change(&r)
			_, err := FromRoster(r)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "signed roster: ") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("FromRoster error = %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

func TestSameAsAndDiff(t *testing.T) {
	bobSSH, bobSign := sshKey(3)
	newSSH, _ := sshKey(6)
	dave := key(t, false)
	cases := map[string]struct {
		// change edits the proposal (team.yaml); roster edits what was signed.
		change func(*Team)
		roster func(*trust.Team)
		want   []string
	}{
		"nothing": {},
		// Differences of form, not of meaning.
		"order of members and environments": {roster: func(r *trust.Team) {
			r.Members[0], r.Members[3] = r.Members[3], r.Members[0]
			r.Environments[0], r.Environments[2] = r.Environments[2], r.Environments[0]
			r.Environments[1].Members = []string{"ci-prod", "alice"}
		}},
		"ssh comment and sign key text": {roster: func(r *trust.Team) {
			r.Members[1].Recipient = bobSSH + " bob@laptop"
			r.Members[1].Sign = bobSign // the same key as the recipient
		}},
		"max_age spelling": {roster: func(r *trust.Team) { r.MaxAge["production"] = "12w" }},
		"default left out": {
			change: func(tm *Team) { tm.Default = "development" },
			roster: func(r *trust.Team) { r.Default = "" }},
		"admins are not in the roster": {change: func(tm *Team) { tm.Admins = []string{"bob"} }},

		// Differences of meaning.
		"member added": {
			change: func(tm *Team) {
				tm.Members = append(tm.Members, Member{Name: "dave", Recipient: dave})
				tm.Environments[1].Members = append(tm.Environments[1].Members, "dave")
			},
			want: []string{"+ member dave", "production: + dave"}},
		"read-only member added": {
			change: func(tm *Team) { tm.Members = append(tm.Members, Member{Name: "ci-2", Recipient: dave, ReadOnly: true}) },
			want:   []string{"+ member ci-2 (read-only)"}},
		"member removed": {
			change: func(tm *Team) { tm.RemoveMember("dana") },
			want:   []string{"- member dana", "development: - dana"}},
		"recipient changed": {
			change: func(tm *Team) { tm.Members[3].Recipient = dave },
			want:   []string{"dana: recipient key changed"}},
		"ssh key changed is one change": {
			change: func(tm *Team) { tm.Members[1].Recipient = newSSH },
			want:   []string{"bob: recipient key changed"}},
		"signing key added": {
			change: func(tm *Team) { tm.Members[3].Sign = signKey(7) },
			want:   []string{"dana: signing key added"}},
		"signing key removed": {
			change: func(tm *Team) { tm.Members[0].Sign = "" },
			want:   []string{"alice: signing key removed"}},
		"signing key changed": {
			change: func(tm *Team) { tm.Members[0].Sign = signKey(7) },
			want:   []string{"alice: signing key changed"}},
		"unparseable signing key in the roster": {
			roster: func(r *trust.Team) { r.Members[0].Sign = "envsafe-ed25519:broken" },
			want:   []string{"alice: signing key changed"}},
		"now read-only": {
			change: func(tm *Team) { tm.Members[0].ReadOnly = true },
			want:   []string{"alice: now read-only"}},
		"no longer read-only": {
			change: func(tm *Team) { tm.Members[2].ReadOnly = false },
			want:   []string{"ci-prod: no longer read-only"}},
		"default changed": {
			change: func(tm *Team) { tm.Default = "development" },
			want:   []string{"default: production → development"}},
		"environment added and removed": {
			change: func(tm *Team) {
				tm.Environments = append(tm.Environments[:2], Environment{Name: "qa", Members: []string{"dana", "bob"}}, Environment{Name: "staging", Members: []string{}})
			},
			want: []string{"+ environment qa: dana, bob", "+ environment staging (no members)", "- environment empty"}},
		"max_age changed, added and removed": {
			change: func(tm *Team) {
				tm.MaxAge = map[string]time.Duration{"production": 30 * Day, "empty": 2 * Week}
			},
			want: []string{"development: max_age 36h → none", "empty: max_age none → 14d", "production: max_age 84d → 30d"}},
		"unparseable max_age in the roster": {
			roster: func(r *trust.Team) { r.MaxAge["production"] = "soon" },
			want:   []string{"production: max_age 'soon' → 84d"}},
		// Many changes at once come by kind, then by name.
		"everything, in order": {
			change: func(tm *Team) {
				tm.Default = "development"
				tm.RemoveMember("bob")
				tm.Members = append(tm.Members, Member{Name: "dave", Recipient: dave, Sign: signKey(8)})
				tm.Members[0].ReadOnly = true
				tm.Members[1].Recipient = newSSH // ci-prod
				tm.Members[1].Sign = ""
				tm.Environments[1].Members = []string{"dave", "ci-prod"}
				tm.Environments = append(tm.Environments, Environment{Name: "qa", Members: []string{"dave"}})
				delete(tm.MaxAge, "development")
			},
			want: []string{
				"default: production → development",
				"+ member dave",
				"- member bob",
				"alice: now read-only",
				"ci-prod: recipient key changed",
				"ci-prod: signing key changed",
				"+ environment qa: dave",
				"development: - bob",
				"production: + dave",
				"production: - alice",
				"development: max_age 36h → none",
			}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			tm := rosterTeam(t)
			r := tm.Roster()
			if c.roster != nil {
				c.roster(&r)
			}
			if c.change != nil {
				c.change(tm)
			}
			got := tm.Diff(r)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Diff =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
			}
			if same := tm.SameAs(r); same != (len(c.want) == 0) {
				t.Errorf("SameAs = %v with Diff %q", same, got)
			}
		})
	}
}

// A name from a roster nobody checked yet is quoted, never printed raw.
func TestDiffQuotesStrangeNames(t *testing.T) {
	tm := rosterTeam(t)
	r := tm.Roster()
	r.Members = append(r.Members, trust.Member{Name: "eve\x1b[2J", Recipient: ageA})
	got := tm.Diff(r)
	if len(got) != 1 || got[0] != "- member 'eve[2J'" {
		t.Fatalf("Diff = %q", got)
	}
}

func TestDiffAdmins(t *testing.T) {
	bobSSH, bobSign := sshKey(3)
	tm := mustParse(t, `version: 2
admins: [alice, bob, carol]
members:
  alice: {recipient: `+ageA+`, sign: `+signKey(1)+`}
  bob: `+bobSSH+`
  carol: {recipient: `+ageC+`, sign: `+signKey(2)+`}
  dana: `+ageB+`
environments:
  dev: [alice]
`)
	cases := map[string]struct {
		log  []trust.Admin
		want []string
	}{
		// bob's log key in envsafe-ed25519 text is his SSH key.
		"same": {log: []trust.Admin{{Name: "carol", Key: signKey(2)}, {Name: "bob", Key: bobSign}, {Name: "alice", Key: signKey(1)}}},
		"added and removed": {
			log:  []trust.Admin{{Name: "alice", Key: signKey(1)}, {Name: "dana", Key: signKey(9)}, {Name: "zed", Key: signKey(10)}},
			want: []string{"admins: + bob", "admins: + carol", "admins: - dana", "admins: - zed"}},
		"key changed": {
			log:  []trust.Admin{{Name: "alice", Key: signKey(9)}, {Name: "bob", Key: bobSign}, {Name: "carol", Key: signKey(2)}},
			want: []string{"admins: alice: signing key changed"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tm.DiffAdmins(c.log); !reflect.DeepEqual(got, c.want) {
				t.Errorf("DiffAdmins = %q, want %q", got, c.want)
			}
		})
	}
}
