package trust

import (
	"crypto/ed25519"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestVerifyGoodPath(t *testing.T) {
	p := newProject(t)
	v := mustVerify(t, p, p.pin(), State{})
	if v.Project != p.id() || v.Head != p.checkpoint(1) || v.Roster.Version != 1 {
		t.Fatalf("verified project %s head %+v version %d", v.Project, v.Head, v.Roster.Version)
	}
	if v.RosterHash != p.roster.Hash() {
		t.Errorf("roster hash %s, want %s", v.RosterHash, p.roster.Hash())
	}
	if len(v.Warnings) != 0 {
		t.Errorf("warnings on a clean log: %v", v.Warnings)
	}
	if got := v.Admins; len(got) != 2 || got[0].Name != "alice" || got[1].Name != "rob" {
		t.Errorf("head admins %+v", got)
	}
	rs, err := v.Recipients("production")
	if err != nil || !slices.Equal(rs, []string{"age1alice", "age1wendy", "age1ciprod"}) {
		t.Errorf("production recipients %v, %v", rs, err)
	}
	if _, err := v.Recipients("nope"); err == nil {
		t.Error("recipients of an environment the roster lacks")
	}
	for _, tc := range []struct {
		env, name string
		ok        bool
	}{
		{"production", "alice", true},
		{"production", "wendy", true},
		{"production", "ci-prod", false}, // read-only
		{"production", "sam", false},     // not listed
		{"staging", "sam", true},         // ssh member signs with his recipient key
		{"staging", "mallory", false},    // not a member
		{"qa", "alice", false},           // no such environment
	} {
		err := v.CheckWriter(tc.env, tc.name)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrNotWriter)) {
			t.Errorf("CheckWriter(%s, %s) = %v", tc.env, tc.name, err)
		}
	}
	// The state it teaches moves the next verification's start forward,
	// and the pin it prints verifies the same file.
	st := v.State()
	if st.Checkpoint != p.checkpoint(1) || st.RosterVersion != 1 {
		t.Errorf("State() = %+v", st)
	}
	if _, err := Verify(p.bytes(), v.Pin(), st); err != nil {
		t.Errorf("verifying with its own pin and state: %v", err)
	}
	pin, err := ParsePin(v.Pin().String())
	if err != nil || pin != v.Pin() {
		t.Errorf("pin %q does not round-trip: %v", v.Pin(), err)
	}
}

// history is the project the attacks are mounted against: genesis
// (alice), entry 1 (alice, rob), entry 2 (alice: rob removed), roster
// version 3, where wendy is no longer a production writer.
type history struct {
	early   *project // log [0 1], roster v1 signed by alice
	v2      *project // log [0 1], roster v2 signed by rob (still an admin)
	current *project // log [0 1 2], roster v3 signed by alice
}

func newHistory(t *testing.T) history {
	t.Helper()
	early := newProject(t)
	v2 := early.clone()
	v2.signRoster(t, 2, baseTeam(), nil, "rob")
	current := v2.clone()
	current.appendLog(t, []Admin{admin("alice")}, 1, "alice")
	team := baseTeam()
	team.Environments[0].Members = []string{"alice", "ci-prod"}
	current.signRoster(t, 3, team, map[string]uint64{"production": 40}, "alice")
	return history{early: early, v2: v2, current: current}
}

// TestVerifyAttacks mounts TRUST.md (d) 4, 8, 9 and 12 against Verify: each
// file is what a pusher could commit, and each must be refused with the
// error the user is told.
func TestVerifyAttacks(t *testing.T) {
	h := newHistory(t)
	cur := h.current
	member := State{Checkpoint: cur.checkpoint(2), RosterVersion: 3} // a member who read the current file
	ciPin := cur.pin()                                               // a CI pinned at the genesis, min roster 1

	forged := cur.clone()
	{ // add mallory to production without a new signature
		r := forged.roster.Roster
		r.Team = normalizeTeam(r.Team)
		r.Team.Members = append(r.Team.Members, Member{Name: "mallory", Recipient: "age1mallory", Sign: PublicKeyText(testKey("mallory"))})
		r.Team.Environments[0].Members = append(r.Team.Environments[0].Members, "mallory")
		sigs := forged.roster.Sigs
		forged.signRawRoster(t, r)
		forged.roster.Sigs = sigs
	}
	resigned := forged.clone()
	resigned.roster.Sigs = nil
	if err := resigned.roster.AddSignature(testKey("mallory")); err != nil {
		t.Fatal(err)
	}
	extraSig := cur.clone()
	if err := extraSig.roster.AddSignature(testKey("mallory")); err != nil {
		t.Fatal(err)
	}

	// A new genesis by mallory, listing the same members (and himself).
	other := &project{}
	g, err := NewGenesis("mallory", testKey("mallory"), epoch(0))
	if err != nil {
		t.Fatal(err)
	}
	other.log = []LogLine{g}
	otherTeam := baseTeam()
	otherTeam.Members = append(otherTeam.Members, Member{Name: "mallory", Recipient: "age1mallory", Sign: PublicKeyText(testKey("mallory"))})
	otherTeam.Environments[0].Members = append(otherTeam.Environments[0].Members, "mallory")
	other.signRoster(t, 100, otherTeam, nil, "mallory")

	// The old admin log, with a roster rob (admin at entry 1) signs now.
	truncated := h.early.clone()
	truncated.signRoster(t, 99, otherTeam, nil, "rob")

	// rob, removed at entry 2, writes his own entry 2 from entry 1.
	fork := h.early.clone()
	fork.appendLog(t, []Admin{admin("rob"), admin("rob2")}, 1, "rob", "rob2")
	fork.signRoster(t, 99, baseTeam(), nil, "rob")

	// A roster signed by a current admin, but under the previous log head.
	staleHead := cur.clone()
	staleHead.roster = h.v2.roster

	// An admin change the previous admins did not approve.
	selfAdded := h.early.clone()
	selfAdded.appendLog(t, []Admin{admin("alice"), admin("rob"), admin("mallory")}, 1, "mallory")
	selfAdded.signRoster(t, 4, baseTeam(), nil, "mallory")

	// An admin added without their own signature (no proof of possession).
	unsignedAdd := h.early.clone()
	unsignedAdd.appendLog(t, []Admin{admin("alice"), admin("rob"), admin("carol")}, 1, "alice")
	unsignedAdd.signRoster(t, 4, baseTeam(), nil, "alice")

	// The roster field says another project although alice signed it.
	otherField := cur.clone()
	{
		r := cur.roster.Roster
		r.Project = other.id()
		otherField.signRawRoster(t, r, "alice")
	}

	// Signed by an admin, but breaking a roster invariant.
	broken := cur.clone()
	{
		r := cur.roster.Roster
		r.Team = normalizeTeam(r.Team)
		r.Team.Members[1].Recipient = "age1alice"
		broken.signRawRoster(t, r, "alice")
	}

	// An admin name with a terminal escape sequence.
	escName := &project{}
	{
		e := LogEntry{V: 1, Admins: []Admin{{Name: "\x1b[2Jalice", Key: PublicKeyText(testKey("mallory"))}}, Threshold: 1, Created: formatTime(epoch(0))}
		body := mustJSON(t, &e)
		escName.log = []LogLine{{Body: body, Entry: e, Sigs: []Signature{}}}
		escName.roster = cur.roster
	}

	for _, tc := range []struct {
		name string
		file *project
		pin  Pin
		st   State
		want error
		msg  string
	}{
		{"not pinned", cur, Pin{}, State{}, ErrNotPinned, "trust pin"},
		{"roster edited after signing", forged, ciPin, State{}, ErrBadSignature, "does not verify"},
		{"roster re-signed by a non-admin", resigned, ciPin, State{}, ErrBadSignature, "not an admin"},
		{"good roster plus a stray signature", extraSig, ciPin, member, ErrBadSignature, "not an admin"},
		{"new genesis, pinned member", other, cur.pin(), member, ErrOtherProject, "another project"},
		{"new genesis, CI", other, ciPin, State{}, ErrOtherProject, "another project"},
		{"roster rollback, member state", h.v2, ciPin, State{Checkpoint: cur.checkpoint(1), RosterVersion: 3}, ErrRollback, "version 2"},
		{"roster rollback, CI pin min roster", h.v2, Pin{Project: cur.id(), Checkpoint: cur.checkpoint(0), MinRoster: 3}, State{}, ErrRollback, "version 3 was already trusted"},
		{"truncated log, member", truncated, cur.pin(), member, ErrRollback, "truncated"},
		{"truncated log, CI pinned after removal", truncated, Pin{Project: cur.id(), Checkpoint: cur.checkpoint(2), MinRoster: 3}, State{}, ErrRollback, "truncated"},
		{"fork by removed admin, member", fork, cur.pin(), member, ErrForked, "entry 2"},
		{"fork by removed admin, CI pinned after removal", fork, Pin{Project: cur.id(), Checkpoint: cur.checkpoint(2), MinRoster: 3}, State{}, ErrForked, "entry 2"},
		{"roster under an older log head", staleHead, ciPin, State{}, ErrRollback, "another admin log"},
		{"admin added by a non-admin", selfAdded, ciPin, State{}, ErrBadSignature, "0 admin signatures, 1 required"},
		{"admin added without their signature", unsignedAdd, ciPin, State{}, ErrBadSignature, "'carol', who did not sign"},
		{"roster names another project", otherField, ciPin, State{}, ErrOtherProject, "roster was signed for project"},
		{"roster breaks an invariant", broken, ciPin, State{}, ErrMalformed, "another member's recipient"},
		{"state checkpoint hash differs", cur, ciPin, State{Checkpoint: Checkpoint{Index: 2, Hash: h.early.id()}}, ErrForked, "entry 2"},
		{"admin name with ESC", escName, Pin{Project: escName.id(), Checkpoint: Checkpoint{Index: 0, Hash: escName.id()}}, State{}, ErrMalformed, "'[2Jalice'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Verify(tc.file.bytes(), tc.pin, tc.st)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, %v; want %v", v, err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
			if strings.ContainsAny(err.Error(), "\x1b\x07\r\n") {
				t.Errorf("error carries control characters: %q", err)
			}
		})
	}
}

// TestVerifyResiduals documents what a stateless reader with an old pin
// cannot detect (TRUST.md (d) 8 and 9): the file is accepted, and in the
// fork case that is why the warning exists and admin removal prints a new pin.
func TestVerifyResiduals(t *testing.T) {
	h := newHistory(t)
	cur := h.current
	oldPin := Pin{Project: cur.id(), Checkpoint: cur.checkpoint(1), MinRoster: 1}

	// The legitimate file warns a reader pinned before rob's removal.
	v := mustVerify(t, cur, oldPin, State{})
	if len(v.Warnings) != 1 || v.Warnings[0] != (Warning{Index: 2, Admin: "rob"}) {
		t.Fatalf("warnings %+v, want rob removed at entry 2", v.Warnings)
	}
	if s := v.Warnings[0].String(); !strings.Contains(s, "'rob'") || !strings.Contains(s, "new pin") {
		t.Errorf("warning %q", s)
	}
	// No warning once the checkpoint is past the removal.
	if v := mustVerify(t, cur, oldPin, State{Checkpoint: cur.checkpoint(2)}); len(v.Warnings) != 0 {
		t.Errorf("warnings after the removal was trusted: %+v", v.Warnings)
	}

	// rob's fork passes the old pin: only a checkpoint past the removal
	// catches it. It removes alice, so the warning names her.
	fork := h.early.clone()
	fork.appendLog(t, []Admin{admin("rob")}, 1, "rob")
	fork.signRoster(t, 99, baseTeam(), nil, "rob")
	v = mustVerify(t, fork, oldPin, State{})
	if len(v.Warnings) != 1 || v.Warnings[0].Admin != "alice" {
		t.Errorf("fork warnings %+v", v.Warnings)
	}

	// An older roster signed by a current admin passes a CI whose pin's
	// minimum is older still: the floors of the newer roster are lost.
	v = mustVerify(t, h.v2, oldPin, State{})
	if v.Roster.Version != 2 {
		t.Errorf("version %d", v.Roster.Version)
	}
}

func TestVerifyThreshold(t *testing.T) {
	p := newProject(t)
	p.appendLog(t, []Admin{admin("alice"), admin("rob"), admin("carol")}, 2, "alice", "carol")
	pending := p.clone()
	pending.appendLog(t, []Admin{admin("alice"), admin("carol")}, 2, "alice")
	pending.signRoster(t, 2, baseTeam(), nil, "alice", "carol")
	if _, err := Verify(pending.bytes(), p.pin(), State{}); !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "1 admin signatures, 2 required") {
		t.Fatalf("entry with one of two signatures: %v", err)
	}
	if err := pending.log[3].AddSignature(testKey("rob")); err != nil {
		t.Fatal(err)
	}
	// The entry changed signatures but not its body: the roster's
	// log_head still holds.
	if _, err := Verify(pending.bytes(), p.pin(), State{}); err != nil {
		t.Fatalf("entry with two of three: %v", err)
	}
	half := pending.clone()
	half.signRoster(t, 2, baseTeam(), nil, "carol")
	if _, err := Verify(half.bytes(), p.pin(), State{}); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("roster with one of two signatures: %v", err)
	}
	// The same signer twice (in its two key texts) counts once.
	twice := half.clone()
	twice.roster.Sigs = append(slices.Clone(twice.roster.Sigs), Signature{Key: sshKeyText(testKey("carol").Public().(ed25519.PublicKey), ""), Sig: twice.roster.Sigs[0].Sig})
	if _, err := Verify(twice.bytes(), p.pin(), State{}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("one signer twice: %v", err)
	}
}

// VerifyKnown skips only the Ed25519 checks (the caller's keyed record
// says these exact bytes were checked): a forged roster without such a
// record is checked in full, and a rollback is refused whatever is known.
func TestVerifyKnownSkipsOnlyTheSignaturesOfKnownBytes(t *testing.T) {
	h := newHistory(t)
	cur := h.current
	good := cur.bytes()
	if _, err := VerifyKnown(good, cur.pin(), State{}, true); err != nil {
		t.Fatalf("known good file: %v", err)
	}
	forged := cur.clone()
	r := forged.roster.Roster
	r.Team = normalizeTeam(r.Team)
	r.Team.Members = append(r.Team.Members, Member{Name: "mallory", Recipient: "age1mallory", Sign: PublicKeyText(testKey("mallory"))})
	sigs := forged.roster.Sigs
	forged.signRawRoster(t, r)
	forged.roster.Sigs = sigs // alice's signature over the old body
	if _, err := VerifyKnown(forged.bytes(), cur.pin(), State{}, false); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("forged roster: %v, want ErrBadSignature", err)
	}
	// Known or not, every other check runs.
	if _, err := VerifyKnown(h.early.bytes(), cur.pin(), State{Checkpoint: cur.checkpoint(2), RosterVersion: 3}, true); !errors.Is(err, ErrRollback) {
		t.Fatalf("an older file with its own hash known: %v, want ErrRollback", err)
	}
}
