package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/team"
	"github.com/envsafe/envsafe/internal/trust"
)

// signedProject is a project whose roster alice signed: alice writes
// development and production, bob only reads development, ci only reads
// production. Each gets a Store as their own machine would (own state).
type signedProject struct {
	root           string
	alice, bob, ci person
	pin            trust.Pin
	teamSig        []byte
}

func newSignedProject(t *testing.T, unsignedOK ...string) *signedProject {
	t.Helper()
	sp := &signedProject{alice: newPerson(t), bob: newPerson(t), ci: newPerson(t)}
	tm := &team.Team{
		Default: "development",
		Members: []team.Member{{Name: "alice", Recipient: sp.alice.public}, {Name: "bob", Recipient: sp.bob.public}, {Name: "ci", Recipient: sp.ci.public}},
		Environments: []team.Environment{
			{Name: "development", Members: []string{"alice", "bob"}},
			{Name: "production", Members: []string{"alice", "ci"}},
		},
	}
	s, err := Init(t.TempDir(), tm)
	if err != nil {
		t.Fatal(err)
	}
	sp.root = s.Root()
	key, err := sp.alice.id.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	genesis, err := trust.NewGenesis("alice", key, created)
	if err != nil {
		t.Fatal(err)
	}
	log := []trust.LogLine{genesis}
	roster, err := trust.SignRoster(log, trust.Roster{Version: 1, Team: trust.Team{
		Default: "development",
		Members: []trust.Member{
			{Name: "alice", Recipient: sp.alice.public, Sign: trust.PublicKeyText(key)},
			{Name: "bob", Recipient: sp.bob.public},
			{Name: "ci", Recipient: sp.ci.public, ReadOnly: true},
		},
		Environments: []trust.Environment{{Name: "development", Members: []string{"alice", "bob"}}, {Name: "production", Members: []string{"alice", "ci"}}},
	}, UnsignedOK: unsignedOK}, created, key)
	if err != nil {
		t.Fatal(err)
	}
	if sp.teamSig, err = trust.Encode(&trust.File{Log: log, Roster: roster}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir(), TeamSigFile), sp.teamSig, 0o644); err != nil {
		t.Fatal(err)
	}
	sp.pin = trust.Pin{Project: genesis.Hash(), Checkpoint: trust.Checkpoint{Index: 0, Hash: genesis.Hash()}, MinRoster: 1}
	return sp
}

// as opens the project as p on their own machine (state folder states).
func (sp *signedProject) as(t *testing.T, p person, states StateDir) *Store {
	t.Helper()
	s := Open(sp.root)
	s.LoadTrust = func(s *Store) (*Signed, error) { return s.LoadSigned(sp.pin, states, p.id) }
	return s
}

func update(s *Store, env string, id *crypt.Identity, kv ...string) error {
	_, err := s.Update(context.Background(), env, id, func(p *payload.Payload) error {
		for i := 0; i+1 < len(kv); i += 2 {
			p.Set(kv[i], kv[i+1], time.Now())
		}
		return nil
	})
	return err
}

func TestSignedProjectRefusesUnsignedAndForgedFiles(t *testing.T) {
	sp := newSignedProject(t)
	alice := sp.as(t, sp.alice, StateDir(t.TempDir()))
	// Init wrote unsigned files; the roster does not allow them unsigned.
	if _, err := alice.Read("production", sp.alice.id); !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), "not signed") {
		t.Fatalf("an unsigned file in a signed project read as %v, want refused", err)
	}
	// A forger with the public keys writes a v2 payload claiming to be alice.
	mallory := newPerson(t)
	mkey, _ := mallory.id.SigningKey()
	p := payload.New("production")
	p.Set("DATABASE_URL", "postgres://evil", time.Now())
	p.Sig = &trust.Sig{Project: sp.pin.Project, Seq: 99, Roster: strings.Repeat("0", 64), Writer: "alice", Key: trust.PublicKeyText(mkey)}
	body, _ := p.SigningBody()
	p.Sig.Sig, _ = trust.SignEnv(mkey, body)
	forged, err := SealFileTo([]string{sp.alice.public, sp.ci.public}, "production", p)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(alice.EnvPath("production"), forged, 0o644)
	_, err = alice.Read("production", sp.alice.id)
	if !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), "claims to be 'alice'; that key is not in the roster") {
		t.Fatalf("a forgery claiming alice read as %v", err)
	}
	// ...and a write on top of it is refused: never re-sign a forgery.
	if err := update(alice, "production", sp.alice.id, "X", "1"); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("set on a forged file = %v, want refused", err)
	}
}

func TestSignedWritesAreReadByMembersAndCIButOnlyWritersWrite(t *testing.T) {
	sp := newSignedProject(t)
	aliceStates := StateDir(t.TempDir())
	alice := sp.as(t, sp.alice, aliceStates)
	// Migration by hand: alice signs the files Init left unsigned.
	for _, env := range []string{"development", "production"} {
		p := payload.New(env)
		p.Set("API_KEY", env+"-canary", time.Now())
		sg, err := alice.signed()
		if err != nil {
			t.Fatal(err)
		}
		file, err := sg.seal(env, p, 0)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(alice.EnvPath(env), file, 0o644)
	}
	if err := update(alice, "production", sp.alice.id, "DB", "prod-db"); err != nil {
		t.Fatal(err)
	}
	ci := sp.as(t, sp.ci, StateDir(t.TempDir()))
	p, err := ci.Read("production", sp.ci.id)
	if err != nil {
		t.Fatalf("CI reads signed production: %v", err)
	}
	if v, _ := p.Lookup("DB"); v != "prod-db" || p.Sig.Writer != "alice" || p.Sig.Seq != 2 {
		t.Fatalf("CI read DB=%q signed by %q seq %d", v, p.Sig.Writer, p.Sig.Seq)
	}
	// ci is read-only and bob has no signing key: neither may write.
	if err := update(ci, "production", sp.ci.id, "X", "1"); !errors.Is(err, ErrNotWriter) {
		t.Fatalf("read-only CI wrote production: %v", err)
	}
	bob := sp.as(t, sp.bob, StateDir(t.TempDir()))
	if err := update(bob, "development", sp.bob.id, "X", "1"); !errors.Is(err, ErrNotWriter) {
		t.Fatalf("bob (no signing key in the roster) wrote development: %v", err)
	}
}

// An older signed file put back after this machine used a newer one is a
// rollback (a revoked password brought back): refused.
func TestSignedRollbackIsRefused(t *testing.T) {
	sp := newSignedProject(t)
	states := StateDir(t.TempDir())
	alice := sp.as(t, sp.alice, states)
	sg, err := alice.signed()
	if err != nil {
		t.Fatal(err)
	}
	p := payload.New("production")
	p.Set("PASSWORD", "revoked", time.Now())
	old, err := sg.seal("production", p, 0)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(alice.EnvPath("production"), old, 0o644)
	if err := update(alice, "production", sp.alice.id, "PASSWORD", "rotated"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(alice.EnvPath("production"), old, 0o644)
	again := sp.as(t, sp.alice, states)
	if _, err := again.Read("production", sp.alice.id); !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), "older than") {
		t.Fatalf("an older file read as %v, want a rollback refusal", err)
	}
}

func TestSignedProjectWithoutPinRefuses(t *testing.T) {
	sp := newSignedProject(t)
	s := Open(sp.root)
	if _, err := s.Read("development", sp.alice.id); !errors.Is(err, trust.ErrNotPinned) {
		t.Fatalf("a signed project without a pin read as %v, want ErrNotPinned", err)
	}
	s.LoadTrust = func(s *Store) (*Signed, error) {
		return s.LoadSigned(trust.Pin{}, StateDir(t.TempDir()), sp.alice.id)
	}
	if _, err := s.Read("development", sp.alice.id); !errors.Is(err, trust.ErrNotPinned) {
		t.Fatalf("an empty pin read as %v, want ErrNotPinned", err)
	}
}

// An environment the roster still allows unsigned (migration) cannot go
// back to an unsigned file on a machine that has used a signed one.
func TestUnsignedAllowanceEndsOnceSignedIsUsed(t *testing.T) {
	sp := newSignedProject(t, "development")
	states := StateDir(t.TempDir())
	alice := sp.as(t, sp.alice, states)
	unsigned, err := os.ReadFile(alice.EnvPath("development"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Read("development", sp.alice.id); err != nil {
		t.Fatalf("an environment allowed unsigned: %v", err)
	}
	if err := update(alice, "development", sp.alice.id, "A", "signed-now"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(alice.EnvPath("development"), unsigned, 0o644)
	again := sp.as(t, sp.alice, states)
	if _, err := again.Read("development", sp.alice.id); !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), "already used a signed") {
		t.Fatalf("the unsigned file after a signed one read as %v", err)
	}
}

// A signed payload whose plaintext is not the canonical encoding of what it
// parses to (a duplicate key, a space) is refused even though the
// signature verifies over the canonical form.
func TestSignedPayloadMustBeCanonical(t *testing.T) {
	sp := newSignedProject(t)
	alice := sp.as(t, sp.alice, StateDir(t.TempDir()))
	sg, err := alice.signed()
	if err != nil {
		t.Fatal(err)
	}
	p := payload.New("production")
	p.Set("DB", "real", time.Unix(0, 0))
	file, err := sg.seal("production", p, 0)
	if err != nil {
		t.Fatal(err)
	}
	good, plain, err := OpenFile(file, "production", sp.alice.id, nil, nil)
	if err != nil || good.Sig == nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"a space":       append([]byte("{ "), plain[1:]...),
		"duplicate key": []byte(strings.Replace(string(plain), `"secrets":{`, `"secrets":{"DB":{"value":"evil","updated":"2026-01-01T00:00:00Z"}},"secrets":{`, 1)),
	} {
		r, _ := crypt.ParseRecipient(sp.alice.public)
		forged, err := crypt.Encrypt(bad, []crypt.Recipient{r})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := OpenFile(forged, "production", sp.alice.id, sg, nil); !errors.Is(err, ErrIntegrity) {
			t.Errorf("%s: OpenFile = %v, want an integrity failure", name, err)
		}
	}
}

// A machine records the team.sig whose signatures it checked, so the next
// command skips repeating them; a changed team.sig is checked in full (a
// forged roster with the old signatures is refused).
func TestCheckedSignaturesAreRecordedPerTeamSig(t *testing.T) {
	sp := newSignedProject(t, "development")
	states := StateDir(t.TempDir())
	if _, err := sp.as(t, sp.alice, states).Read("development", sp.alice.id); err != nil {
		t.Fatal(err)
	}
	if got := states.sigsChecked(sp.pin.Project); got == "" || got != recordOf(sp.alice.id, "team.sig", sp.teamSig) {
		t.Fatalf("recorded %q, want alice's keyed record of team.sig", got)
	}
	if fi, err := os.Stat(filepath.Join(string(states), sp.pin.Project+".sigs-checked")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("record: %v %v", fi, err)
	}
	forged := bytes.Replace(sp.teamSig, []byte(`"name":"bob"`), []byte(`"name":"eve"`), 1)
	if bytes.Equal(forged, sp.teamSig) {
		t.Fatal("test did not change team.sig")
	}
	if err := os.WriteFile(filepath.Join(sp.root, DirName, TeamSigFile), forged, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.as(t, sp.alice, states).Read("development", sp.alice.id); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("a changed team.sig after a recorded check read as %v, want refused", err)
	}
	// Someone who can write the state folder (a CI cache) but holds no
	// key cannot make a record: an unkeyed hash of the forgery is no record.
	plain := sha256.Sum256(forged)
	states.recordSigsChecked(sp.pin.Project, hex.EncodeToString(plain[:]))
	if _, err := sp.as(t, sp.alice, states).Read("development", sp.alice.id); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("a forged team.sig with a planted record read as %v, want refused", err)
	}
	// Nor does another identity's record count for alice.
	states.recordSigsChecked(sp.pin.Project, recordOf(sp.bob.id, "team.sig", forged))
	if _, err := sp.as(t, sp.alice, states).Read("development", sp.alice.id); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("a forged team.sig with bob's record read as %v, want refused", err)
	}
}
