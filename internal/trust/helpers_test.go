package trust

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// testKey is a fixed signing key per actor name, so that files built by the
// tests (and the golden file) are the same on every run.
func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("envsafe trust test key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func epoch(days int) time.Time {
	return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).AddDate(0, 0, days)
}

func admin(name string) Admin { return Admin{Name: name, Key: PublicKeyText(testKey(name))} }

// baseTeam is the actors of TRUST.md (d): admin alice, production writer
// wendy, staging-only member sam (an SSH member, who signs with his SSH key),
// read-only CI ci-prod (which has a signing key that must not count).
func baseTeam() Team {
	return Team{
		Default: "staging",
		Members: []Member{
			{Name: "alice", Recipient: "age1alice", Sign: PublicKeyText(testKey("alice"))},
			{Name: "wendy", Recipient: "age1wendy", Sign: PublicKeyText(testKey("wendy"))},
			{Name: "sam", Recipient: sshKeyText(testKey("sam").Public().(ed25519.PublicKey), " sam@laptop")},
			{Name: "ci-prod", Recipient: "age1ciprod", Sign: PublicKeyText(testKey("ci-prod")), ReadOnly: true},
		},
		Environments: []Environment{
			{Name: "production", Members: []string{"alice", "wendy", "ci-prod"}},
			{Name: "staging", Members: []string{"alice", "sam"}},
		},
		MaxAge: map[string]string{"production": "90d"},
	}
}

// project is a team.sig under construction.
type project struct {
	log    []LogLine
	roster RosterLine
}

// newProject is a project whose log has the genesis (alice) and entry 1
// (alice and rob, threshold 1), and roster version 1 signed by alice.
func newProject(t *testing.T) *project {
	t.Helper()
	p := &project{}
	g, err := NewGenesis("alice", testKey("alice"), epoch(0))
	if err != nil {
		t.Fatal(err)
	}
	p.log = []LogLine{g}
	p.appendLog(t, []Admin{admin("alice"), admin("rob")}, 1, "alice", "rob")
	p.signRoster(t, 1, baseTeam(), nil, "alice")
	return p
}

func (p *project) clone() *project {
	return &project{log: slices.Clone(p.log), roster: p.roster}
}

func (p *project) appendLog(t *testing.T, admins []Admin, threshold int, signers ...string) {
	t.Helper()
	var keys []ed25519.PrivateKey
	for _, s := range signers {
		keys = append(keys, testKey(s))
	}
	l, err := AppendLogEntry(p.log, admins, threshold, epoch(len(p.log)), keys...)
	if err != nil {
		t.Fatal(err)
	}
	p.log = append(p.log, l)
}

func (p *project) signRoster(t *testing.T, version uint64, team Team, floors map[string]uint64, signers ...string) {
	t.Helper()
	var keys []ed25519.PrivateKey
	for _, s := range signers {
		keys = append(keys, testKey(s))
	}
	r, err := SignRoster(p.log, Roster{Version: version, Team: team, Floors: floors}, epoch(10+int(version)), keys...)
	if err != nil {
		t.Fatal(err)
	}
	p.roster = r
}

// signRawRoster signs a roster exactly as given, for rosters SignRoster
// would refuse to write (another project, broken invariants).
func (p *project) signRawRoster(t *testing.T, r Roster, signers ...string) {
	t.Helper()
	body, err := json.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	p.roster = RosterLine{Body: body, Roster: r, Sigs: []Signature{}}
	for _, s := range signers {
		if err := p.roster.AddSignature(testKey(s)); err != nil {
			t.Fatal(err)
		}
	}
}

// bytes encodes the file without Encode's self-check, so that tests can
// build files a reader must refuse.
func (p *project) bytes() []byte {
	var b []byte
	for _, l := range p.log {
		b = append(b, encodeLine("log", l.Body, l.Sigs)...)
		b = append(b, '\n')
	}
	b = append(b, encodeLine("roster", p.roster.Body, p.roster.Sigs)...)
	return append(b, '\n')
}

func (p *project) id() string { return p.log[0].Hash() }

// pin is the pin a member gets at join: the genesis checkpoint, version 1.
func (p *project) pin() Pin {
	return Pin{Project: p.id(), Checkpoint: Checkpoint{Index: 0, Hash: p.id()}, MinRoster: 1}
}

func (p *project) checkpoint(i int) Checkpoint {
	return Checkpoint{Index: i, Hash: p.log[i].Hash()}
}

func mustVerify(t *testing.T, p *project, pin Pin, st State) *Verified {
	t.Helper()
	v, err := Verify(p.bytes(), pin, st)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return v
}

// envBody stands in for the payload package's canonical encoding: the
// signature covers whatever bytes the caller passes, sig blanked.
func envBody(t *testing.T, env string, secrets map[string]string, s Sig) []byte {
	t.Helper()
	s.Sig = ""
	b, err := json.Marshal(struct {
		Envsafe     int               `json:"envsafe"`
		Environment string            `json:"environment"`
		Secrets     map[string]string `json:"secrets"`
		Sig         Sig               `json:"sig"`
	}{2, env, secrets, s})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// forgeEnv signs env's body with key under any claimed writer and seq,
// bypassing NewEnvSig's checks, as an attacker's own tool would.
func forgeEnv(t *testing.T, v *Verified, env, writer string, key ed25519.PrivateKey, keyText string, seq uint64) (Sig, []byte) {
	t.Helper()
	s := Sig{Project: v.Project, Seq: seq, Roster: v.RosterHash, Writer: writer, Key: keyText}
	body := envBody(t, env, map[string]string{"DATABASE_URL": "postgres://evil"}, s)
	sig, err := SignEnv(key, body)
	if err != nil {
		t.Fatal(err)
	}
	s.Sig = sig
	return s, body
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
