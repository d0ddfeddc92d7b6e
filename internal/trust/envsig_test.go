package trust

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
)

// signEnv writes env as writer through the writer-side API, as the store
// will: NewEnvSig, encode with sig blank, SignEnv.
func signEnv(t *testing.T, v *Verified, st State, env, writer string, fileSeq uint64) (Sig, []byte) {
	t.Helper()
	s, err := NewEnvSig(v, st, env, writer, testKey(writer), fileSeq)
	if err != nil {
		t.Fatalf("NewEnvSig(%s, %s): %v", env, writer, err)
	}
	body := envBody(t, env, map[string]string{"A": "1"}, s)
	if s.Sig, err = SignEnv(testKey(writer), body); err != nil {
		t.Fatal(err)
	}
	return s, body
}

func TestEnvSignatureRoundTrip(t *testing.T) {
	p := newProject(t)
	p.signRoster(t, 2, baseTeam(), map[string]uint64{"production": 7}, "alice")
	v := mustVerify(t, p, p.pin(), State{})
	st := State{Envs: map[string]EnvState{"production": {Seq: 9}}}

	s, body := signEnv(t, v, st, "production", "wendy", 3)
	if s.Seq != 10 || s.Project != v.Project || s.Roster != v.RosterHash || s.Key != PublicKeyText(testKey("wendy")) {
		t.Fatalf("signature block %+v", s)
	}
	if err := VerifyEnv(v, st, "production", s, body); err != nil {
		t.Fatalf("wendy's own write: %v", err)
	}
	// Raising the state by what was read keeps the same file acceptable
	// (equal seq: two branches from one base) and only ever rises.
	st2 := st.Raise("production", s.Seq)
	if st2.Envs["production"].Seq != 10 || st.Envs["production"].Seq != 9 {
		t.Fatalf("Raise: %+v (original %+v)", st2, st)
	}
	if err := VerifyEnv(v, st2, "production", s, body); err != nil {
		t.Errorf("same file after the state rose to it: %v", err)
	}

	// An SSH member signs with the key in his recipient line.
	s, body = signEnv(t, v, State{}, "staging", "sam", 0)
	if s.Seq != 1 || !strings.HasPrefix(s.Key, "ssh-ed25519 ") {
		t.Fatalf("sam's block %+v", s)
	}
	if err := VerifyEnv(v, State{}, "staging", s, body); err != nil {
		t.Fatalf("sam's write: %v", err)
	}
}

func TestNewEnvSigRefuses(t *testing.T) {
	p := newProject(t)
	v := mustVerify(t, p, p.pin(), State{})
	for _, tc := range []struct {
		name, env, writer string
		key               ed25519.PrivateKey
	}{
		{"read-only CI", "production", "ci-prod", testKey("ci-prod")},
		{"not listed", "production", "sam", testKey("sam")},
		{"not a member", "production", "mallory", testKey("mallory")},
		{"another member's key", "production", "wendy", testKey("alice")},
		{"no such environment", "qa", "alice", testKey("alice")},
	} {
		if s, err := NewEnvSig(v, State{}, tc.env, tc.writer, tc.key, 0); !errors.Is(err, ErrNotWriter) {
			t.Errorf("%s: NewEnvSig = %+v, %v", tc.name, s, err)
		}
	}
	if _, err := NewEnvSig(v, State{Envs: map[string]EnvState{"production": {Seq: ^uint64(0)}}}, "production", "wendy", testKey("wendy"), 0); err == nil {
		t.Error("sequence number wrapped around")
	}
}

// TestVerifyEnvAttacks mounts TRUST.md (d) 2, 6, 7, 10, 12, 13 and 20 at
// the level of one environment signature, against the current roster of
// newHistory (production writers: alice; wendy removed; ci-prod read-only;
// floor 40).
func TestVerifyEnvAttacks(t *testing.T) {
	h := newHistory(t)
	v := mustVerify(t, h.current, h.current.pin(), State{})
	old := mustVerify(t, h.early, h.early.pin(), State{}) // wendy still a writer there
	used := State{Envs: map[string]EnvState{"production": {Seq: 50}}}

	good, goodBody := signEnv(t, v, State{}, "production", "alice", 44)
	if good.Seq != 45 { // max(file 44, floor 40) + 1
		t.Fatalf("seq %d", good.Seq)
	}

	// Q: another project with the same members, where alice also writes.
	q := &project{}
	g, err := NewGenesis("alice", testKey("alice"), epoch(5))
	if err != nil {
		t.Fatal(err)
	}
	q.log = []LogLine{g}
	q.signRoster(t, 1, baseTeam(), nil, "alice")
	vq := mustVerify(t, q, q.pin(), State{})
	replayed, replayedBody := signEnv(t, vq, State{}, "production", "alice", 44)

	aliceText := PublicKeyText(testKey("alice"))
	type attack struct {
		name string
		sig  Sig
		body []byte
		st   State
		want error
		msg  string
	}
	attacks := []attack{
		{"cross-project replay", replayed, replayedBody, State{}, ErrOtherProject, "signed for another project"},
	}
	add := func(name string, s Sig, body []byte, st State, want error, msg string) {
		attacks = append(attacks, attack{name, s, body, st, want, msg})
	}
	s, b := forgeEnv(t, v, "production", "alice", testKey("mallory"), PublicKeyText(testKey("mallory")), 60)
	add("outsider claims alice with own key", s, b, State{}, ErrBadSignature, "claims to be 'alice'; that key is not in the roster")
	s, b = forgeEnv(t, v, "production", "alice", testKey("mallory"), aliceText, 60)
	add("outsider claims alice with alice's key text", s, b, State{}, ErrBadSignature, "claims to be 'alice'; the signature does not verify")
	s.Sig = "AAAA"
	add("garbage signature", s, b, State{}, ErrBadSignature, "does not verify")
	s, b = forgeEnv(t, v, "production", "alice", testKey("ci-prod"), PublicKeyText(testKey("ci-prod")), 60)
	add("wrong writer name for key", s, b, State{}, ErrBadSignature, "signed as 'alice', but the key belongs to 'ci-prod'")
	s, b = forgeEnv(t, v, "production", "ci-prod", testKey("ci-prod"), PublicKeyText(testKey("ci-prod")), 60)
	add("leaked read-only CI key", s, b, State{}, ErrNotWriter, "'ci-prod' may not write 'production'")
	s, b = forgeEnv(t, v, "production", "sam", testKey("sam"), sshKeyText(testKey("sam").Public().(ed25519.PublicKey), ""), 60)
	add("staging member writes production", s, b, State{}, ErrNotWriter, "'sam' is not a writer of 'production'")
	s, _ = signEnv(t, old, State{}, "production", "wendy", 60)
	s.Project, s.Roster = v.Project, v.RosterHash // the same project: only the roster changed
	b = envBody(t, "production", map[string]string{"A": "1"}, s)
	s.Sig, _ = SignEnv(testKey("wendy"), b)
	add("removed writer signs new content", s, b, State{}, ErrNotWriter, "'wendy' is not a writer of 'production'")
	s, b = signEnv(t, old, State{}, "production", "wendy", 60)
	add("removed writer names the old roster", s, b, State{}, ErrNotWriter, "'wendy' is not a writer of 'production'")
	s, b = forgeEnv(t, v, "production", "\x1b]0;pwned\x07alice\u202e", testKey("mallory"), PublicKeyText(testKey("mallory")), 60)
	add("claimed name with ESC", s, b, State{}, ErrBadSignature, "claims to be ']0;pwnedalice'")
	tampered := bytes.Replace(goodBody, []byte(`"A":"1"`), []byte(`"A":"2"`), 1)
	add("body changed after signing", good, tampered, State{}, ErrBadSignature, "does not verify")
	rosterSig := good
	rosterSig.Sig = encodeSig(t, testKey("alice"), KindRoster, goodBody)
	add("roster signature used as env signature", rosterSig, goodBody, State{}, ErrBadSignature, "does not verify")
	add("older than the state", good, goodBody, used, ErrRollback, "one this machine used (50)")
	below, _ := signEnv(t, v, State{}, "production", "alice", 0)
	below.Seq = 39
	belowBody := envBody(t, "production", map[string]string{"A": "1"}, below)
	below.Sig, _ = SignEnv(testKey("alice"), belowBody)
	add("below the roster floor", below, belowBody, State{}, ErrRollback, "the roster's floor (40)")
	add("another environment's name", good, goodBody, State{}, ErrNotWriter, "no environment 'qa'")

	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			env := "production"
			if strings.Contains(a.name, "another environment") {
				env = "qa"
			}
			err := VerifyEnv(v, a.st, env, a.sig, a.body)
			if !errors.Is(err, a.want) {
				t.Fatalf("VerifyEnv = %v, want %v", err, a.want)
			}
			if !strings.Contains(err.Error(), a.msg) {
				t.Errorf("error %q does not say %q", err, a.msg)
			}
			if strings.ContainsAny(err.Error(), "\x1b\x07\u202e") {
				t.Errorf("error carries control characters: %q", err)
			}
		})
	}
	if err := VerifyEnv(v, State{}, "production", good, goodBody); err != nil {
		t.Errorf("the good file: %v", err)
	}
}

func encodeSig(t *testing.T, key ed25519.PrivateKey, kind Kind, body []byte) string {
	t.Helper()
	sig, err := Sign(key, kind, body)
	if err != nil {
		t.Fatal(err)
	}
	return b64(sig)
}

// A writer removed from the team altogether is not in the roster at all:
// their signature is "claims to be", whichever roster their file names.
func TestVerifyEnvMemberRemoved(t *testing.T) {
	h := newHistory(t)
	old := mustVerify(t, h.early, h.early.pin(), State{})
	s, body := signEnv(t, old, State{}, "production", "wendy", 60)

	gone := h.current.clone()
	team := baseTeam()
	team.Members = append(team.Members[:1:1], team.Members[2:]...)
	team.Environments[0].Members = []string{"alice", "ci-prod"}
	gone.signRoster(t, 4, team, nil, "alice")
	v := mustVerify(t, gone, gone.pin(), State{})
	err := VerifyEnv(v, State{}, "production", s, body)
	if !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "claims to be 'wendy'; that key is not in the roster") {
		t.Fatalf("VerifyEnv = %v", err)
	}
}
