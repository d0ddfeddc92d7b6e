package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/team"
)

// editTeam rewrites team.yaml as a pull request would, behind envsafe's back.
func editTeam(t *testing.T, s *Store, change func(*team.Team)) *team.Team {
	t.Helper()
	tm, err := s.Team()
	if err != nil {
		t.Fatal(err)
	}
	before := tm.Clone()
	change(tm)
	data, err := tm.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir(), TeamFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return before
}

func addTo(env, member string) func(*team.Team) {
	return func(tm *team.Team) {
		e, _ := tm.Env(env)
		e.Members = append(e.Members, member)
	}
}

func TestRoutineWritesRefuseAGrantTeamYAMLMadeBehindTheirBack(t *testing.T) {
	s, alice, _ := newProject(t)
	set(t, s, "production", alice.id, "API_KEY", "prod-canary")
	before, _ := os.ReadFile(s.EnvPath("production"))
	editTeam(t, s, addTo("production", "bob"))

	_, err := s.Update(context.Background(), "production", alice.id, func(p *payload.Payload) error {
		p.Delete("API_KEY")
		return nil
	})
	if !errors.Is(err, ErrUnreviewedGrant) || !strings.Contains(err.Error(), "gives bob access to production") {
		t.Fatalf("Update after team.yaml added bob = %v, want ErrUnreviewedGrant naming bob", err)
	}
	// rotate goes through ChangeAccess without a review: refused too.
	_, _, err = s.ChangeAccess(context.Background(), alice.id, Access{Reencrypt: func(*team.Team) []string { return []string{"production"} }})
	if !errors.Is(err, ErrUnreviewedGrant) {
		t.Fatalf("re-encrypting without review = %v, want ErrUnreviewedGrant", err)
	}
	if after, _ := os.ReadFile(s.EnvPath("production")); !bytes.Equal(before, after) {
		t.Fatal("a refused write changed production.age")
	}
}

func TestRoutineWritesMayNarrow(t *testing.T) {
	s, alice, bob := newProject(t)
	set(t, s, "development", alice.id, "A", "1")
	editTeam(t, s, func(tm *team.Team) { tm.RemoveMember("bob") })
	set(t, s, "development", alice.id, "A", "2")
	if _, err := s.Read("development", bob.id); !errors.Is(err, ErrNotRecipient) {
		t.Fatalf("bob reads development after team.yaml dropped him and alice wrote: %v", err)
	}
}

func TestReviewSeesEveryChangeByName(t *testing.T) {
	s, alice, _ := newProject(t)
	mallory := newPerson(t)
	// A pull request swapped bob's key for mallory's; team.yaml as committed
	// with the files still has bob's real key.
	committed := editTeam(t, s, func(tm *team.Team) {
		m, _ := tm.Member("bob")
		m.Recipient = mallory.public
	})
	s.Committed = func(string) *team.Team { return committed }
	var seen []string
	_, _, err := s.ChangeAccess(context.Background(), alice.id, Access{
		Change: func(tm *team.Team) error {
			tm.Members = append(tm.Members, team.Member{Name: "carol", Recipient: newPerson(t).public})
			addTo("development", "carol")(tm)
			return nil
		},
		Reencrypt: func(*team.Team) []string { return []string{"development"} },
		Review: func(cs []RecipientChange) error {
			for _, c := range cs {
				seen = append(seen, c.Lines()...)
			}
			return errors.New("cancelled")
		},
	})
	if err == nil || err.Error() != "cancelled" {
		t.Fatalf("ChangeAccess = %v, want the review's refusal", err)
	}
	slices.Sort(seen)
	want := []string{"development: + carol", "development: bob: key changed"}
	if !slices.Equal(seen, want) {
		t.Fatalf("review saw %q, want %q", seen, want)
	}
	if tm, _ := s.Team(); slices.ContainsFunc(tm.Members, func(m team.Member) bool { return m.Name == "carol" }) {
		t.Fatal("a refused review still wrote team.yaml")
	}
}

func TestSetOnADeletedFileIsRefused(t *testing.T) {
	s, alice, _ := newProject(t)
	if err := os.Remove(s.EnvPath("production")); err != nil {
		t.Fatal(err)
	}
	_, err := s.Update(context.Background(), "production", alice.id, func(p *payload.Payload) error { return nil })
	if !errors.Is(err, ErrNoFile) {
		t.Fatalf("Update of a deleted file = %v, want ErrNoFile", err)
	}
	if _, err := os.Stat(s.EnvPath("production")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("Update recreated a deleted environment file")
	}
}

// A mark names who lost access within the length a mark may have, cut on
// a character boundary (shortened keys end in "…"), so the file it goes
// into can always be written.
func TestMarkLostReadersStaysAValidMark(t *testing.T) {
	p := payload.New("production")
	p.Set("API_KEY", "v", time.Now())
	var lost []string
	for range 20 {
		lost = append(lost, "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq")
	}
	markLostReaders([]*payload.Payload{p}, []RecipientChange{{Env: "production", Lost: lost, KeyChanged: []string{"bob"}}})
	why := p.Rotate["API_KEY"]
	if why == "" || len(why) > payload.MaxMarkLen || !utf8.ValidString(why) {
		t.Fatalf("mark %q (%d bytes)", why, len(why))
	}
	if _, err := p.Encode(); err != nil {
		t.Fatalf("the marked payload cannot be written: %v", err)
	}
}
