package team

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/envsafe/envsafe/internal/crypt"
)

func key(t *testing.T, pq bool) string {
	t.Helper()
	_, public, err := crypt.Generate(pq)
	if err != nil {
		t.Fatal(err)
	}
	return public
}

func TestParseKeepsOrderAndResolvesRecipients(t *testing.T) {
	alice, bob := key(t, false), key(t, false)
	doc := fmt.Sprintf(`version: 1
default: production
members:
  zed: %s   # listed first on purpose
  bob: %s
environments:
  production: [zed]
  development: [zed, bob]
  empty: []
`, alice, bob)
	tm, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := tm.EnvNames(); !reflect.DeepEqual(got, []string{"production", "development", "empty"}) {
		t.Fatalf("environment order lost: %v", got)
	}
	if tm.Members[0].Name != "zed" || tm.Default != "production" {
		t.Fatalf("parsed %+v", tm)
	}
	rs, err := tm.Recipients("development")
	if err != nil || len(rs) != 2 || rs[1].String() != bob {
		t.Fatalf("Recipients() = %v, %v", rs, err)
	}
	if _, err := tm.Recipients("empty"); err == nil || !strings.Contains(err.Error(), "no members") {
		t.Fatalf("an environment without members must not be encryptable: %v", err)
	}
	if !tm.CanRead("development", bob) || tm.CanRead("production", bob) {
		t.Fatal("CanRead does not follow the environment lists")
	}
}

func TestMarshalRoundTrips(t *testing.T) {
	tm := &Team{
		Default:      "development",
		Members:      []Member{{Name: "alice", Recipient: key(t, false)}, {Name: "ci-prod", Recipient: key(t, false)}},
		Environments: []Environment{{"development", []string{"alice"}}, {"production", []string{"alice", "ci-prod"}}},
	}
	data, err := tm.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "production: [alice, ci-prod]") {
		t.Fatalf("member lists not in flow style:\n%s", data)
	}
	back, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if !sameTeam(back, tm) {
		t.Fatalf("round trip changed the team:\n%+v\n%+v", back, tm)
	}
}

func TestParseRefusesInconsistentFilesWithLine(t *testing.T) {
	k, k2 := key(t, false), key(t, false)
	cases := map[string]struct{ doc, want string }{
		"no version":       {"members: {}\nenvironments: {dev: []}\n", "version is 0"},
		"future version":   {"version: 3\nenvironments: {dev: []}\n", "version is 3, this envsafe reads versions 1 to 2"},
		"typo field":       {"version: 1\nmembrs: {}\n", "membrs"},
		"unknown member":   {"version: 1\nmembers:\n  a: " + k + "\nenvironments:\n  dev: [a, b]\n", `line 5: environment "dev" lists "b"`},
		"bad key":          {"version: 1\nmembers:\n  a: age1nope\nenvironments:\n  dev: [a]\n", "line 3"},
		"duplicate member": {"version: 1\nmembers:\n  a: " + k + "\n  a: " + k + "\nenvironments:\n  dev: [a]\n", "line 4"},
		"bad env name":     {"version: 1\nmembers:\n  a: " + k + "\nenvironments:\n  ../etc: [a]\n", "invalid environment name"},
		"missing default":  {"version: 1\ndefault: prod\nmembers:\n  a: " + k + "\nenvironments:\n  dev: [a]\n", `default environment "prod"`},
		"no environments":  {"version: 1\nmembers:\n  a: " + k + "\n", "no environments"},
		"env not a list":   {"version: 1\nmembers:\n  a: " + k + "\nenvironments:\n  dev: a\n", "expected a list"},
		// A member twice in one environment (a bad merge, or a typo for
		// another name) is refused, not quietly merged: the reviewer of
		// team.yaml must see the list envsafe uses.
		"member twice in an env": {"version: 1\nmembers:\n  alice: " + k + "\nenvironments:\n  production: [alice, alice]\n",
			`line 5: environment "production" lists "alice" twice`},
		"member twice in a block list": {"version: 1\nmembers:\n  alice: " + k + "\n  bob: " + k2 + "\nenvironments:\n  dev: [alice]\n  production:\n    - alice\n    - bob\n    - alice\n",
			`line 10: environment "production" lists "alice" twice`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(c.doc))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse() error = %v, want ErrInvalid mentioning %q", err, c.want)
			}
		})
	}
}

func TestDefaultIsFirstEnvironmentWhenOmitted(t *testing.T) {
	tm, err := Parse([]byte("version: 1\nmembers:\n  a: " + key(t, true) + "\nenvironments:\n  staging: [a]\n  prod: [a]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if tm.Default != "staging" {
		t.Fatalf("Default = %q, want staging", tm.Default)
	}
}

func TestNameRules(t *testing.T) {
	for _, ok := range []string{"development", "prod-eu_1", "0"} {
		if ValidateEnvName(ok) != nil {
			t.Errorf("env name %q refused", ok)
		}
	}
	for _, bad := range []string{"", "Prod", "-x", "a/b", "..", "a.b", strings.Repeat("a", 64)} {
		if ValidateEnvName(bad) == nil {
			t.Errorf("env name %q accepted", bad)
		}
	}
	for _, ok := range []string{"alice", "ci-prod", "a.b@corp", "Bob_2"} {
		if ValidateMemberName(ok) != nil {
			t.Errorf("member name %q refused", ok)
		}
	}
	for _, bad := range []string{"", "al ice", "-a", "a:b"} {
		if ValidateMemberName(bad) == nil {
			t.Errorf("member name %q accepted", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("version: 1\nmembers:\n  a: age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj\nenvironments:\n  dev: [a]\n"))
	f.Add([]byte("version: 1\nenvironments: {dev: []}\n"))
	// Version 2 shapes: a flow and a block member mapping, an ssh-ed25519
	// member, read_only, admins.
	sshRec, _ := sshKey(1)
	f.Add([]byte("version: 2\nadmins: [a]\nmembers:\n  a: {recipient: age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj, sign: " + signKey(2) + "}\n" +
		"  b:\n    recipient: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq\n    read_only: true\n  c: {recipient: " + sshRec + " c@laptop}\n" +
		"environments:\n  dev: [a, b, c]\nmax_age:\n  dev: 12w\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tm, err := Parse(data)
		if err != nil {
			return
		}
		out, err := tm.Marshal()
		if err != nil {
			t.Fatalf("a parsed team does not marshal: %v", err)
		}
		back, err := Parse(out)
		if err != nil || !sameTeam(back, tm) {
			t.Fatalf("marshal round trip changed the team: %v", err)
		}
	})
}

// sameTeam compares what a team says, not the parsed file it came from.
func sameTeam(a, b *Team) bool {
	a, b = a.Clone(), b.Clone()
	a.doc, b.doc = nil, nil
	return reflect.DeepEqual(a, b)
}

// People comment team.yaml ("# Dana: on-call until March"): a rewrite by
// member add or rm keeps every comment of what is still there, and the
// style of the lists.
func TestRewriteKeepsComments(t *testing.T) {
	in := `# Who reads what. Ask #security before adding anyone to production.
version: 1
default: development
members:
  # people
  alice: age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj # laptop
  bob: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq # leaves in March
environments:
  development: [alice, bob]
  production: # on-call only
    - alice
`
	tm, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	tm.RemoveMember("bob")
	tm.Members = append(tm.Members, Member{Name: "carol", Recipient: "age1s5v6vhpa7ng4k52htkaqlf04tmg7ll67lh3tr6ef6vpejz8znfcs2nvsdj"})
	out, err := tm.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Who reads what. Ask #security", "# people", "# laptop", "# on-call only", "development: [alice]", "    - alice", "carol: age1"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("rewritten team.yaml lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "leaves in March") {
		t.Errorf("a removed member's comment stayed:\n%s", out)
	}
}

func TestSecondDocumentIsRefused(t *testing.T) {
	in := "version: 1\nmembers: {}\nenvironments: {dev: []}\n---\nenvironments: {prod: []}\n"
	if _, err := Parse([]byte(in)); err == nil || !strings.Contains(err.Error(), "second YAML document") {
		t.Fatalf("Parse with two documents = %v, want a refusal", err)
	}
}

// One key under two names would keep its access after `member rm` of one
// of them: refused with the line.
func TestOneKeyTwoNamesIsRefused(t *testing.T) {
	in := "version: 1\nmembers:\n  mallory: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq\n  runner: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq\nenvironments:\n  production: [mallory, runner]\n"
	_, err := Parse([]byte(in))
	if err == nil || !strings.Contains(err.Error(), `line 4: member "runner" has the same key as member "mallory"`) {
		t.Fatalf("Parse = %v, want a refusal naming both and the line", err)
	}
}

func TestNameOfTriesEachTeamThenShortens(t *testing.T) {
	key := "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"
	old := &Team{Members: []Member{{Name: "bob", Recipient: key}}}
	now := &Team{}
	if got := NameOf(key, now, nil, old); got != "bob" {
		t.Fatalf("NameOf = %q, want the name the older team gives", got)
	}
	if got := NameOf(key, now); got != key {
		t.Fatalf("NameOf with no team naming it = %q, want the key (short enough to show whole)", got)
	}
}
