package store

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/team"
)

// sealFor writes a development file with the given secrets for keys.
func sealFor(t *testing.T, keys []string, kv ...string) []byte {
	t.Helper()
	p := payload.New("development")
	for i := 0; i+1 < len(kv); i += 2 {
		p.Set(kv[i], kv[i+1], time.Unix(0, 0))
	}
	file, err := SealFileTo(keys, "development", p)
	if err != nil {
		t.Fatal(err)
	}
	return file
}

func TestMergeKeepsAMemberRemovedOnEitherBranchRemoved(t *testing.T) {
	alice, dave := newPerson(t), newPerson(t)
	tm := &team.Team{Default: "development",
		Members:      []team.Member{{Name: "alice", Recipient: alice.public}, {Name: "dave", Recipient: dave.public}},
		Environments: []team.Environment{{Name: "development", Members: []string{"alice", "dave"}}}}
	both := []string{alice.public, dave.public}
	base := sealFor(t, both, "A", "1")
	offboarded := sealFor(t, []string{alice.public}, "A", "1") // member rm dave on a branch
	changed := sealFor(t, both, "A", "1", "B", "2")            // a secret change on main
	for name, sides := range map[string][2][]byte{"merge into main": {changed, offboarded}, "merge into the branch": {offboarded, changed}} {
		t.Run(name, func(t *testing.T) {
			m, err := Merge(base, sides[0], sides[1], "development", alice.id, tm, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := OpenFile(m.File, "development", dave.id, nil, nil); !errors.Is(err, ErrNotRecipient) {
				t.Fatalf("dave opens the merged file: %v", err)
			}
			p, _, err := OpenFile(m.File, "development", alice.id, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if v, _ := p.Lookup("B"); v != "2" {
				t.Fatalf("the secret change was lost in the merge")
			}
			if name == "merge into main" && !slices.Equal(m.Dropped, []string{"dave"}) {
				t.Fatalf("Dropped = %v, want dave", m.Dropped)
			}
		})
	}
}

func TestMergeNeverAddsAReaderTeamYAMLDoesNotList(t *testing.T) {
	alice, mallory := newPerson(t), newPerson(t)
	tm := &team.Team{Default: "development",
		Members:      []team.Member{{Name: "alice", Recipient: alice.public}},
		Environments: []team.Environment{{Name: "development", Members: []string{"alice"}}}}
	base := sealFor(t, []string{alice.public}, "A", "1")
	ours := sealFor(t, []string{alice.public}, "A", "1", "DB", "real-db")
	forged := sealFor(t, []string{alice.public, mallory.public}, "A", "1", "X", "y")
	m, err := Merge(base, ours, forged, "development", alice.id, tm, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := OpenFile(m.File, "development", mallory.id, nil, nil); !errors.Is(err, ErrNotRecipient) {
		t.Fatalf("a pushed file with an extra recipient widened the merge: %v", err)
	}
	if len(m.NotAdded) != 1 {
		t.Fatalf("NotAdded = %v, want mallory's key", m.NotAdded)
	}
	if !slices.Equal(m.FromTheirs, []string{"+X"}) {
		t.Fatalf("FromTheirs = %v, want the names theirs changes", m.FromTheirs)
	}
}

// A rebase makes the other branch "ours": neither side may grant. A reader
// team.yaml lists, whom one side's file adds (a pull request that also put
// them in team.yaml), is left for `sync` to show and ask.
func TestMergeNeverAddsAReaderEvenOneTeamYAMLLists(t *testing.T) {
	alice, mallory := newPerson(t), newPerson(t)
	tm := &team.Team{Default: "development",
		Members:      []team.Member{{Name: "alice", Recipient: alice.public}, {Name: "mallory", Recipient: mallory.public}},
		Environments: []team.Environment{{Name: "development", Members: []string{"alice", "mallory"}}}}
	base := sealFor(t, []string{alice.public}, "A", "1")
	forged := sealFor(t, []string{alice.public, mallory.public}, "A", "1")
	mine := sealFor(t, []string{alice.public}, "A", "1", "NEW", "never-for-mallory")
	for name, sides := range map[string][2][]byte{"merge": {mine, forged}, "rebase": {forged, mine}} {
		t.Run(name, func(t *testing.T) {
			m, err := Merge(base, sides[0], sides[1], "development", alice.id, tm, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := OpenFile(m.File, "development", mallory.id, nil, nil); !errors.Is(err, ErrNotRecipient) {
				t.Fatalf("the merge was sealed to mallory: %v", err)
			}
			if !slices.Equal(m.NotAdded, []string{"mallory"}) {
				t.Fatalf("NotAdded = %v, want mallory", m.NotAdded)
			}
		})
	}
}

func TestMergeRefusesTwoUnrelatedFiles(t *testing.T) {
	alice := newPerson(t)
	tm := &team.Team{Default: "development",
		Members:      []team.Member{{Name: "alice", Recipient: alice.public}},
		Environments: []team.Environment{{Name: "development", Members: []string{"alice"}}}}
	ours := sealFor(t, []string{alice.public}, "DB", "real")
	forged := sealFor(t, []string{alice.public}, "DB", "real", "NODE_OPTIONS", "--require /tmp/x.js")
	_, err := Merge(nil, ours, forged, "development", alice.id, tm, nil)
	var u *UnrelatedError
	if !errors.As(err, &u) || !slices.Equal(u.OnlyTheirs, []string{"NODE_OPTIONS"}) {
		t.Fatalf("Merge with no base = %v, want UnrelatedError listing NODE_OPTIONS", err)
	}
}
