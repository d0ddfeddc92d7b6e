package team

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/envsafe/envsafe/internal/trust"
)

// Fixed age recipients, so that expected files can be written out.
const (
	ageA = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"
	ageB = "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"
	ageC = "age1s5v6vhpa7ng4k52htkaqlf04tmg7ll67lh3tr6ef6vpejz8znfcs2nvsdj"
)

// edKey is the deterministic Ed25519 key number seed.
func edKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

// signKey is the envsafe-ed25519 text of key number seed.
func signKey(seed byte) string { return trust.PublicKeyText(edKey(seed)) }

// sshKey is the ssh-ed25519 text (no comment) of key number seed, and the
// same key in envsafe-ed25519 text: one signer, two spellings.
func sshKey(seed byte) (ssh, envsafe string) {
	pub := edKey(seed).Public().(ed25519.PublicKey)
	wire := func(b []byte) []byte { return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...) }
	blob := append(wire([]byte("ssh-ed25519")), wire(pub)...)
	return "ssh-ed25519 " + base64.StdEncoding.EncodeToString(blob), trust.FormatPublicKey(pub)
}

func mustParse(t *testing.T, doc string) *Team {
	t.Helper()
	tm, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse:\n%s\n%v", doc, err)
	}
	return tm
}

func mustMarshal(t *testing.T, tm *Team) string {
	t.Helper()
	out, err := tm.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestParseVersion2(t *testing.T) {
	bobSSH, bobSign := sshKey(3)
	doc := `version: 2
default: production
admins: [alice, bob]
members:
  alice: {recipient: ` + ageA + `, sign: ` + signKey(1) + `}
  bob: {recipient: ` + bobSSH + ` bob@laptop, sign: ` + bobSign + `}
  ci-prod:
    recipient: ` + ageB + `
    read_only: true
  dana: {recipient: ` + ageC + `, read_only: false}
environments:
  production: [alice, bob, ci-prod]
  development: [alice, bob, dana]
`
	tm := mustParse(t, doc)
	want := []Member{
		{Name: "alice", Recipient: ageA, Sign: signKey(1)},
		{Name: "bob", Recipient: bobSSH, Sign: bobSign},
		{Name: "ci-prod", Recipient: ageB, ReadOnly: true},
		{Name: "dana", Recipient: ageC},
	}
	if !reflect.DeepEqual(tm.Members, want) {
		t.Errorf("Members = %+v\nwant %+v", tm.Members, want)
	}
	if !reflect.DeepEqual(tm.Admins, []string{"alice", "bob"}) {
		t.Errorf("Admins = %v", tm.Admins)
	}
	// A sign key in ssh-ed25519 text loses its comment, as a recipient does.
	tm = mustParse(t, "version: 2\nmembers:\n  bob: {recipient: "+bobSSH+", sign: "+bobSSH+" bob@laptop}\nenvironments:\n  dev: [bob]\n")
	if tm.Members[0].Sign != bobSSH {
		t.Errorf("Sign = %q, want %q", tm.Members[0].Sign, bobSSH)
	}
	// Version 2 without anything new, and `admins:` left empty, read as
	// a plain team.
	tm = mustParse(t, "version: 2\nadmins:\nmembers:\n  a: "+ageA+"\nenvironments:\n  dev: [a]\n")
	if tm.Admins != nil || tm.needsV2() {
		t.Errorf("plain version 2 file read as %+v", tm)
	}
}

func TestParseVersion2RefusesWithLine(t *testing.T) {
	bobSSH, bobSign := sshKey(3)
	otherSSH, _ := sshKey(4)
	head := "version: 2\n"
	cases := map[string]struct{ doc, want string }{
		"mapping in version 1": {
			"version: 1\nmembers:\n  a: {recipient: " + ageA + ", sign: " + signKey(1) + "}\nenvironments:\n  dev: [a]\n",
			`line 3: member "a": a mapping with recipient, sign or read_only needs version: 2`},
		"admins in version 1": {
			"version: 1\nadmins: [a]\nmembers:\n  a: " + ageA + "\nenvironments:\n  dev: [a]\n",
			"line 2: admins needs version: 2"},
		"admin not a member": {
			head + "admins: [a, carol]\nmembers:\n  a: " + ageA + "\nenvironments:\n  dev: [a]\n",
			`line 2: admins lists "carol", who is not under members`},
		"admin twice": {
			head + "admins:\n  - a\n  - a\nmembers:\n  a: " + ageA + "\nenvironments:\n  dev: [a]\n",
			`line 4: admins lists "a" twice`},
		"admins not a list": {
			head + "admins: a\nmembers:\n  a: " + ageA + "\nenvironments:\n  dev: [a]\n",
			"line 2: admins must be a list"},
		"unknown field": {
			head + "members:\n  a: {recipient: " + ageA + ", signer: " + signKey(1) + "}\nenvironments:\n  dev: [a]\n",
			`line 3: member "a": unknown field "signer"`},
		"field twice": {
			head + "members:\n  a:\n    recipient: " + ageA + "\n    recipient: " + ageB + "\nenvironments:\n  dev: [a]\n",
			`line 5: member "a" lists recipient twice`},
		"no recipient": {
			head + "members:\n  a: {sign: " + signKey(1) + "}\nenvironments:\n  dev: [a]\n",
			`line 3: member "a" has no recipient`},
		"bad recipient in a mapping": {
			head + "members:\n  a:\n    sign: " + signKey(1) + "\n    recipient: age1nope\nenvironments:\n  dev: [a]\n",
			`line 5: member "a": invalid recipient`},
		"bad sign key": {
			head + "members:\n  a:\n    recipient: " + ageA + "\n    sign: envsafe-ed25519:AAAA\nenvironments:\n  dev: [a]\n",
			`line 5: member "a": signing key`},
		"sign is not a key type": {
			head + "members:\n  a: {recipient: " + ageA + ", sign: " + ageB + "}\nenvironments:\n  dev: [a]\n",
			`line 3: member "a": '` + ageB + `' is not a signing key`},
		"empty sign": {
			head + "members:\n  a: {recipient: " + ageA + ", sign: }\nenvironments:\n  dev: [a]\n",
			`line 3: member "a": sign must be one public key`},
		"read_only yes": {
			head + "members:\n  a:\n    recipient: " + ageA + "\n    read_only: yes\nenvironments:\n  dev: [a]\n",
			`line 5: member "a": read_only must be true or false`},
		"signing key twice": {
			head + "members:\n  a: {recipient: " + ageA + ", sign: " + signKey(1) + "}\n  b:\n    recipient: " + ageB + "\n    sign: " + signKey(1) + "\nenvironments:\n  dev: [a, b]\n",
			`line 6: member "b" has the same signing key as member "a"`},
		// The same key in its two texts is one signer: bob's SSH key may
		// not also be claimed, as envsafe-ed25519 text, by mallory...
		"ssh key claimed as a sign key": {
			head + "members:\n  bob: " + bobSSH + "\n  mallory: {recipient: " + ageA + ", sign: " + bobSign + "}\nenvironments:\n  dev: [bob, mallory]\n",
			`line 4: member "mallory" has the same signing key as member "bob"`},
		// ...nor the other way round, where the SSH member comes second and
		// the line is that of their recipient.
		"sign key that is a later member's ssh key": {
			head + "members:\n  mallory: {recipient: " + ageA + ", sign: " + bobSign + "}\n  bob: " + bobSSH + "\nenvironments:\n  dev: [bob, mallory]\n",
			`line 4: member "bob" has the same signing key as member "mallory"`},
		"ssh member with another sign key": {
			head + "members:\n  bob:\n    recipient: " + bobSSH + "\n    sign: " + otherSSH + "\nenvironments:\n  dev: [bob]\n",
			`line 5: member "bob": an ssh-ed25519 member signs with their SSH key`},
		"ssh member with an envsafe key": {
			head + "members:\n  bob: {recipient: " + bobSSH + ", sign: " + signKey(1) + "}\nenvironments:\n  dev: [bob]\n",
			`line 3: member "bob": an ssh-ed25519 member signs with their SSH key`},
		"member value a list": {
			head + "members:\n  a: [" + ageA + "]\nenvironments:\n  dev: [a]\n",
			`line 3: member "a": the value must be one public key, or a mapping`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(c.doc))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse(\n%s) error = %v\nwant ErrInvalid mentioning %q", c.doc, err, c.want)
			}
		})
	}
}

func TestMarshalWritesVersion2OnlyWhenNeeded(t *testing.T) {
	bobSSH, _ := sshKey(3)
	plain := &Team{
		Default:      "development",
		Members:      []Member{{Name: "alice", Recipient: ageA}, {Name: "bob", Recipient: bobSSH}},
		Environments: []Environment{{Name: "development", Members: []string{"alice", "bob"}}},
	}
	out := mustMarshal(t, plain)
	if !strings.Contains(out, "\nversion: 1\n") || strings.Contains(out, "{") || strings.Contains(out, "admins") {
		t.Fatalf("a team without version 2 things must stay version 1:\n%s", out)
	}
	// A file that says version 2 but uses nothing of it is written as 1,
	// so an older envsafe can still read it.
	if out := mustMarshal(t, mustParse(t, "version: 2\nmembers:\n  a: "+ageA+"\nenvironments:\n  dev: [a]\n")); !strings.HasPrefix(out, "version: 1\n") {
		t.Fatalf("plain version 2 file rewritten as:\n%s", out)
	}

	cases := map[string]struct {
		change func(*Team)
		want   []string
	}{
		"sign key": {func(tm *Team) { tm.Members[0].Sign = signKey(1) },
			[]string{"version: 2\n", "  alice: {recipient: " + ageA + ", sign: '" + signKey(1) + "'}\n", "  bob: " + bobSSH + "\n"}},
		"read-only": {func(tm *Team) { tm.Members[1].ReadOnly = true },
			[]string{"version: 2\n", "  bob: {recipient: " + bobSSH + ", read_only: true}\n"}},
		"both": {func(tm *Team) { tm.Members[0].Sign, tm.Members[0].ReadOnly = signKey(1), true },
			[]string{"version: 2\n", "  alice: {recipient: " + ageA + ", sign: '" + signKey(1) + "', read_only: true}\n"}},
		"admins": {func(tm *Team) { tm.Admins = []string{"bob"} },
			[]string{"version: 2\ndefault: development\nadmins: [bob]\nmembers:\n", "  alice: " + ageA + "\n"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			tm := plain.Clone()
			c.change(tm)
			out := mustMarshal(t, tm)
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			back := mustParse(t, out)
			if !sameTeam(back, tm) {
				t.Errorf("round trip changed the team:\n%+v\n%+v", back, tm)
			}
			// Taking the new things away again gives a version 1 file.
			back.Admins = nil
			for i := range back.Members {
				back.Members[i].Sign, back.Members[i].ReadOnly = "", false
			}
			if out := mustMarshal(t, back); !strings.Contains(out, "\nversion: 1\n") {
				t.Errorf("without version 2 things, written as:\n%s", out)
			}
		})
	}
}

// A version 1 file read and written back is the same bytes: nothing of
// version 2 leaks into projects that do not use it.
func TestVersion1FileRewritesUnchanged(t *testing.T) {
	in := "# team\nversion: 1\ndefault: development\nmembers:\n  alice: " + ageA + " # laptop\nenvironments:\n  development: [alice]\n  production:\n    - alice\n"
	if out := mustMarshal(t, mustParse(t, in)); out != in {
		t.Fatalf("rewrite changed a version 1 file:\n%s\nwant\n%s", out, in)
	}
}

func TestRewriteKeepsCommentsOfMappings(t *testing.T) {
	in := `# Who reads what.
version: 2
default: development
admins: [alice] # two admins from March
members:
  # people
  alice: {recipient: ` + ageA + `, sign: ` + signKey(1) + `} # laptop
  bob: ` + ageB + ` # desktop
  ci-prod:
    # the deploy runner
    recipient: ` + ageC + ` # rotated in May
    read_only: true # never writes
environments:
  development: [alice, bob]
  production: [alice, ci-prod]
`
	tm := mustParse(t, in)
	// Bob gets a signing key (his value becomes a mapping), alice loses
	// hers (hers becomes a key again), and carol joins as an admin.
	bob, _ := tm.Member("bob")
	bob.Sign = signKey(2)
	alice, _ := tm.Member("alice")
	alice.Sign = ""
	tm.Members = append(tm.Members, Member{Name: "carol", Recipient: key(t, false), Sign: signKey(5)})
	tm.Admins = append(tm.Admins, "carol")
	out := mustMarshal(t, tm)
	for _, want := range []string{
		"# Who reads what.\nversion: 2\n",
		"admins: [alice, carol] # two admins from March\n",
		"  # people\n  alice: " + ageA + " # laptop\n",
		"  bob: {recipient: " + ageB + ", sign: '" + signKey(2) + "'} # desktop\n",
		// A block mapping stays a block, with its comments.
		"  ci-prod:\n    # the deploy runner\n    recipient: " + ageC + " # rotated in May\n    read_only: true # never writes\n",
		"  carol: {recipient: age1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rewritten team.yaml lacks %q:\n%s", want, out)
		}
	}
	if back := mustParse(t, out); !sameTeam(back, tm) {
		t.Errorf("round trip changed the team:\n%+v\n%+v", back, tm)
	}
	// Removing a member removes them from admins too, and their comments.
	tm.RemoveMember("ci-prod")
	tm.RemoveMember("alice")
	out = mustMarshal(t, tm)
	if !strings.Contains(out, "admins: [carol] # two admins from March\n") || strings.Contains(out, "deploy runner") || strings.Contains(out, "laptop") {
		t.Errorf("after member rm:\n%s", out)
	}
}

func TestWriterAndIsAdmin(t *testing.T) {
	bobSSH, _ := sshKey(3)
	tm := mustParse(t, `version: 2
admins: [alice]
members:
  alice: {recipient: `+ageA+`, sign: `+signKey(1)+`}
  bob: `+bobSSH+`
  ci: {recipient: `+ageB+`, sign: `+signKey(2)+`, read_only: true}
  dana: `+ageC+`
environments:
  production: [alice, bob, ci, dana]
  development: [bob]
`)
	cases := []struct {
		env, name string
		want      bool
	}{
		{"production", "alice", true},   // a signing key
		{"production", "bob", true},     // signs with the SSH key
		{"production", "ci", false},     // read-only, though it has a key
		{"production", "dana", false},   // cannot sign
		{"development", "alice", false}, // not listed there
		{"staging", "alice", false},     // no such environment
		{"production", "erin", false},   // no such member
	}
	for _, c := range cases {
		if got := tm.Writer(c.env, c.name); got != c.want {
			t.Errorf("Writer(%q, %q) = %v, want %v", c.env, c.name, got, c.want)
		}
	}
	if !tm.IsAdmin("alice") || tm.IsAdmin("bob") || tm.IsAdmin("") {
		t.Errorf("IsAdmin does not follow admins %v", tm.Admins)
	}
}
