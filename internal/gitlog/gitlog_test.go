package gitlog

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
)

// header is one commit line of the format Open asks git for.
func header(hash, author, email, date string) string {
	return "\x01" + hash + "\x00" + author + "\x00" + email + "\x00" + date
}

func blob(c byte) string { return strings.Repeat(string(c), 40) }

func TestParseRawLog(t *testing.T) {
	date := "2026-11-25T16:00:00+01:00"
	when, _ := time.Parse(time.RFC3339, date)
	a, b, c := blob('a'), blob('b'), blob('c')
	commit := func(hash, old, new string) rawCommit {
		return rawCommit{hash: hash, author: "Alice Example", email: "alice@example.com", date: when, oldBlob: old, newBlob: new}
	}
	raw := func(old, new, status, paths string) string {
		return ":100644 100644 " + old + " " + new + " " + status + "\t" + paths
	}
	alice := func(hash string) string { return header(hash, "Alice Example", "alice@example.com", date) }
	for _, tc := range []struct {
		name string
		out  string
		want []rawCommit
	}{
		{"empty output", "", nil},
		{"only a newline", "\n", nil},
		{"created", alice("h1") + "\n\n:000000 100644 " + nullBlob + " " + a + " A\t.envsafe/dev.age\n",
			[]rawCommit{commit("h1", nullBlob, a)}},
		{"newest first, modified then created",
			alice("h2") + "\n\n" + raw(a, b, "M", ".envsafe/dev.age") + "\n" +
				alice("h1") + "\n\n:000000 100644 " + nullBlob + " " + a + " A\t.envsafe/dev.age\n",
			[]rawCommit{commit("h2", a, b), commit("h1", nullBlob, a)}},
		{"deleted", alice("h3") + "\n\n:100644 000000 " + b + " " + nullBlob + " D\t.envsafe/dev.age\n",
			[]rawCommit{commit("h3", b, nullBlob)}},
		{"renamed, two paths with spaces and a tab", alice("h4") + "\n\n" + raw(a, a, "R100", "my dir/old name.age\tmy dir/new\tname.age") + "\n",
			[]rawCommit{commit("h4", a, a)}},
		{"a merge has no raw line and shows nothing",
			alice("m1") + "\n" + alice("h5") + "\n\n" + raw(b, c, "M", "x") + "\n",
			[]rawCommit{commit("h5", b, c)}},
		{"a combined diff of a merge is not a change of its own",
			alice("m2") + "\n\n::100644 100644 100644 " + a + " " + b + " " + c + " MM\tx\n",
			nil},
		{"no trailing newline", alice("h6") + "\n\n" + raw(a, b, "M", "x"),
			[]rawCommit{commit("h6", a, b)}},
		{"a raw line before any commit is ignored", raw(a, b, "M", "x") + "\n" + alice("h7") + "\n\n" + raw(b, c, "M", "x") + "\n",
			[]rawCommit{commit("h7", b, c)}},
		{"a malformed header does not lend its change to the commit before",
			alice("h8") + "\n\n" + raw(a, b, "M", "x") + "\n\x01h9\x00only two\n\n" + raw(b, c, "M", "x") + "\n",
			[]rawCommit{commit("h8", a, b)}},
		{"a short raw line is skipped", alice("h10") + "\n\n:100644 100644 " + a + "\tx\n", nil},
		{"an unparsable date keeps the commit", header("h11", "Bob", "b@x", "yesterday") + "\n\n" + raw(a, b, "M", "x") + "\n",
			[]rawCommit{{hash: "h11", author: "Bob", email: "b@x", oldBlob: a, newBlob: b}}},
		{"names with spaces and unicode", header("h12", "Zoë van der Berg", "zoe+git@example.org", date) + "\n\n" + raw(a, b, "M", "x") + "\n",
			[]rawCommit{{hash: "h12", author: "Zoë van der Berg", email: "zoe+git@example.org", date: when, oldBlob: a, newBlob: b}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := parseRawLog(tc.out)
			if len(got) == 0 && len(tc.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("parseRawLog:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func FuzzParseRawLog(f *testing.F) {
	f.Add(header("h", "a", "e", "2026-01-01T00:00:00Z") + "\n\n:100644 100644 " + blob('a') + " " + blob('b') + " M\tx\n")
	f.Add("\x01\x00\x00\x00\n:\n::\n")
	f.Fuzz(func(t *testing.T, out string) {
		for _, c := range parseRawLog(out) {
			if c.newBlob == "" || c.oldBlob == "" {
				t.Fatalf("commit %q kept without both blobs", c.hash)
			}
		}
	})
}

// ver builds a decrypted version from values; plain SHA-256 stands in for
// the keyed digest, which only has to tell values apart.
func ver(values map[string]string, recipients ...string) *version {
	v := &version{digests: map[string][sha256.Size]byte{}, values: map[string]string{}, recipients: recipients}
	for n, val := range values {
		v.digests[n] = sha256.Sum256([]byte(val))
		v.values[n] = val
	}
	return v
}

func key(t *testing.T) string {
	t.Helper()
	_, public, err := identity.Generate(false)
	if err != nil {
		t.Fatal(err)
	}
	return public
}

func TestCompareVersions(t *testing.T) {
	alice, bob, stranger, carolKey, danKey := key(t), key(t), key(t), key(t), key(t)
	relabelled := &team.Team{Members: []team.Member{{Name: "alice", Recipient: alice}, {Name: "ci-prod", Recipient: danKey}}}
	tm := &team.Team{Members: []team.Member{{Name: "alice", Recipient: alice}, {Name: "bob", Recipient: bob}}}
	base := map[string]string{"KEEP": "same", "CHANGE": "old", "DROP": "gone"}
	next := map[string]string{"KEEP": "same", "CHANGE": "new", "ADD_B": "b", "ADD_A": "a"}
	for _, tc := range []struct {
		name     string
		old, new *version
		values   bool
		team     *team.Team
		want     Entry
	}{
		{name: "added, changed and removed names, sorted", old: ver(base, alice), new: ver(next, alice),
			want: Entry{Added: []string{"ADD_A", "ADD_B"}, Changed: []string{"CHANGE"}, Removed: []string{"DROP"}}},
		{name: "with values: old and new of what changed only", old: ver(base, alice), new: ver(next, alice), values: true,
			want: Entry{Added: []string{"ADD_A", "ADD_B"}, Changed: []string{"CHANGE"}, Removed: []string{"DROP"},
				Old: map[string]string{"CHANGE": "old", "DROP": "gone"}, New: map[string]string{"CHANGE": "new", "ADD_A": "a", "ADD_B": "b"}}},
		{name: "re-encrypted, nothing changed", old: ver(base, alice), new: ver(base, alice)},
		{name: "recipients named by team.yaml", old: ver(base, alice), new: ver(base, bob), team: tm,
			want: Entry{RecipientsAdded: []string{"bob"}, RecipientsRemoved: []string{"alice"}}},
		{name: "a recipient outside the team is a short key", old: ver(base, alice), new: ver(base, alice, stranger), team: tm,
			want: Entry{RecipientsAdded: []string{identity.Short(stranger)}}},
		{name: "a key team.yaml now gives another name shows its old one", old: ver(base, alice, danKey), new: ver(base, alice), team: relabelled,
			want: Entry{RecipientsRemoved: []string{"ci-prod (was dan)"}}},
		{name: "a member who left is named from team.yaml's history", old: ver(base, alice, carolKey), new: ver(base, alice), team: tm,
			want: Entry{RecipientsRemoved: []string{"carol (left)"}}},
		{name: "no team: short keys", old: ver(base, alice, bob), new: ver(base, alice),
			want: Entry{RecipientsRemoved: []string{identity.Short(bob)}}},
		{name: "file created: everything added, no access change", old: nil, new: ver(next, alice, bob), team: tm,
			want: Entry{Added: []string{"ADD_A", "ADD_B", "CHANGE", "KEEP"}}},
		{name: "file deleted: everything removed, no access change", old: ver(base, alice), new: nil, values: true, team: tm,
			want: Entry{Removed: []string{"CHANGE", "DROP", "KEEP"}, Old: map[string]string{"CHANGE": "old", "DROP": "gone", "KEEP": "same"}, New: map[string]string{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := Entry{Added: []string{}, Changed: []string{}, Removed: []string{}}
			compareVersions(&e, tc.old, tc.new, tc.values, func(k string) string {
				return memberName(k, tc.team, map[string][]string{carolKey: {"carol"}, danKey: {"ci-prod", "dan"}})
			})
			want := tc.want
			for _, l := range []*[]string{&want.Added, &want.Changed, &want.Removed} {
				if *l == nil {
					*l = []string{}
				}
			}
			if tc.values && want.Old == nil {
				want.Old, want.New = map[string]string{}, map[string]string{}
			}
			if !reflect.DeepEqual(e, want) {
				t.Fatalf("compareVersions:\n got %+v\nwant %+v", e, want)
			}
		})
	}
}

func TestFilterName(t *testing.T) {
	entry := func() Entry {
		return Entry{Added: []string{"A", "B"}, Changed: []string{"C"}, Removed: []string{"D"},
			RecipientsAdded: []string{"bob"}, RecipientsRemoved: []string{"carol"},
			Old: map[string]string{"C": "c0", "D": "d0"}, New: map[string]string{"A": "a", "B": "b", "C": "c1"}}
	}
	for _, tc := range []struct {
		name, keep string
		changed    bool
		want       Entry
	}{
		{"an added name", "B", true, Entry{Added: []string{"B"}, Changed: []string{}, Removed: []string{},
			Old: map[string]string{}, New: map[string]string{"B": "b"}}},
		{"a changed name keeps both values", "C", true, Entry{Added: []string{}, Changed: []string{"C"}, Removed: []string{},
			Old: map[string]string{"C": "c0"}, New: map[string]string{"C": "c1"}}},
		{"a removed name", "D", true, Entry{Added: []string{}, Changed: []string{}, Removed: []string{"D"},
			Old: map[string]string{"D": "d0"}, New: map[string]string{}}},
		{"a name this commit did not touch", "Z", false, Entry{Added: []string{}, Changed: []string{}, Removed: []string{},
			Old: map[string]string{}, New: map[string]string{}}},
		{"names are case-sensitive", "a", false, Entry{Added: []string{}, Changed: []string{}, Removed: []string{},
			Old: map[string]string{}, New: map[string]string{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := entry()
			if got := filterName(&e, tc.keep); got != tc.changed {
				t.Errorf("filterName(%q) = %v, want %v", tc.keep, got, tc.changed)
			}
			if !reflect.DeepEqual(e, tc.want) {
				t.Fatalf("after filterName(%q):\n got %+v\nwant %+v", tc.keep, e, tc.want)
			}
		})
	}
	// Without --values there are no maps to filter.
	e := Entry{Added: []string{"A"}, Changed: []string{}, Removed: []string{}}
	if !filterName(&e, "A") || e.Old != nil || e.New != nil {
		t.Fatalf("filterName without values: %+v", e)
	}
}

// fakeRepo answers the git commands Open and Read run from a script of
// commits and a table of blobs, counting reads of each blob.
type fakeRepo struct {
	log       string
	blobs     map[string][]byte
	reads     map[string]int
	noRepo    bool
	noCommits bool
	logErr    error
}

func (r *fakeRepo) git(dir string, args ...string) ([]byte, error) {
	switch {
	case slices.Equal(args, []string{"rev-parse", "--git-dir"}):
		if r.noRepo {
			return nil, errors.New("fatal: not a git repository")
		}
		return []byte(".git\n"), nil
	case slices.Equal(args, []string{"rev-parse", "--verify", "-q", "HEAD"}):
		if r.noCommits {
			return nil, errors.New("exit status 1")
		}
		return []byte(blob('f') + "\n"), nil
	case len(args) > 0 && args[0] == "log":
		if args[len(args)-1] != ".envsafe/development.age" || args[len(args)-2] != "--" {
			return nil, fmt.Errorf("unexpected git log %q", args)
		}
		return []byte(r.log), r.logErr
	case len(args) == 3 && args[0] == "cat-file" && args[1] == "blob":
		r.reads[args[2]]++
		if data, ok := r.blobs[args[2]]; ok {
			return data, nil
		}
		return nil, errors.New("fatal: Not a valid object name " + args[2])
	}
	return nil, fmt.Errorf("unexpected git %q", args)
}

// seal encrypts values for the given members of tm.
func seal(t *testing.T, tm *team.Team, values map[string]string) []byte {
	t.Helper()
	p := payload.New("development")
	for n, v := range values {
		p.Set(n, v, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	}
	data, err := store.SealFile(tm, "development", p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestReadDecryptsEachVersionOnce(t *testing.T) {
	secret, public, err := identity.Generate(false)
	if err != nil {
		t.Fatal(err)
	}
	id, err := identity.Parse(secret)
	if err != nil {
		t.Fatal(err)
	}
	other := key(t)
	tm := func(members ...string) *team.Team {
		all := map[string]string{"alice": public, "bob": other}
		tt := &team.Team{Default: "development", Environments: []team.Environment{{Name: "development", Members: members}}}
		for _, m := range members {
			tt.Members = append(tt.Members, team.Member{Name: m, Recipient: all[m]})
		}
		return tt
	}
	v1 := seal(t, tm("alice"), map[string]string{"A": "s3cret-one", "B": "2"})
	v2 := seal(t, tm("alice"), map[string]string{"A": "s3cret-two", "B": "2"})
	v3 := seal(t, tm("bob"), map[string]string{"A": "s3cret-three"})
	date := "2026-11-25T16:00:00Z"
	raw := func(old, new string) string {
		return "\n:100644 100644 " + old + " " + new + " M\t.envsafe/development.age\n"
	}
	repo := &fakeRepo{
		log: header("c5", "Eve", "e@x", date) + raw(blob('4'), blob('5')) + // damaged
			header("c4", "Bob", "b@x", date) + raw(blob('3'), blob('4')) + // bob only
			header("c3", "Al", "a@x", date) + raw(blob('2'), blob('3')) + // alice loses access
			header("c2", "Al", "a@x", date) + raw(blob('1'), blob('2')) +
			header("c1", "Al", "a@x", date) + "\n:000000 100644 " + nullBlob + " " + blob('1') + " A\t.envsafe/development.age\n",
		blobs: map[string][]byte{blob('1'): v1, blob('2'): v2, blob('3'): v3, blob('4'): v3, blob('5'): []byte("not an age file")},
		reads: map[string]int{},
	}
	l, err := Open(repo.git, "/project", "development")
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 5 {
		t.Fatalf("Len() = %d, want 5", l.Len())
	}
	h := l.Read(Options{Identity: &identity.Resolved{Identity: id}, Team: tm("alice", "bob")})
	for b, n := range repo.reads {
		if n != 1 {
			t.Errorf("blob %.7s read %d times, want once", b, n)
		}
	}
	var summary []string
	for _, e := range h.Entries {
		summary = append(summary, fmt.Sprintf("%s readable=%v %q +%v ~%v -%v", e.Commit, e.Readable, e.Error, e.Added, e.Changed, e.Removed))
	}
	want := []string{
		`c5 readable=false "cannot read this version: not an intact envsafe file" +[] ~[] -[]`,
		`c4 readable=false "cannot decrypt this version: you were not a recipient" +[] ~[] -[]`,
		`c3 readable=false "cannot decrypt this version: you were not a recipient" +[] ~[] -[]`,
		`c2 readable=true "" +[] ~[A] -[]`,
		`c1 readable=true "" +[A B] ~[] -[]`,
	}
	if !slices.Equal(summary, want) {
		t.Fatalf("entries:\n%s\nwant:\n%s", strings.Join(summary, "\n"), strings.Join(want, "\n"))
	}
	if !h.Decrypted || !slices.Equal(h.Names, []string{"A", "B"}) {
		t.Fatalf("Decrypted %v Names %v", h.Decrypted, h.Names)
	}
	if h.Entries[3].Old != nil || h.Entries[3].Date.IsZero() || h.Entries[3].Author != "Al" {
		t.Fatalf("entry c2: %+v", h.Entries[3])
	}
	for _, e := range h.Entries {
		if strings.Contains(fmt.Sprint(e), "s3cret") {
			t.Fatalf("a value reached an entry without Values: %+v", e)
		}
	}

	// With a name and values: only the commits that changed it, and the
	// unreadable ones (they may have); values of that name only.
	h = l.Read(Options{Name: "A", Values: true, Identity: &identity.Resolved{Identity: id}})
	if len(h.Entries) != 5 || !slices.Equal(h.Entries[3].Changed, []string{"A"}) ||
		!reflect.DeepEqual(h.Entries[3].New, map[string]string{"A": "s3cret-two"}) ||
		!reflect.DeepEqual(h.Entries[4].New, map[string]string{"A": "s3cret-one"}) {
		t.Fatalf("Name A: %+v", h.Entries)
	}
	h = l.Read(Options{Name: "B", Identity: &identity.Resolved{Identity: id}})
	if len(h.Entries) != 4 || h.Entries[3].Commit != "c1" || !slices.Equal(h.Names, []string{"B"}) {
		t.Fatalf("Name B: %+v", h.Entries)
	}

	// Without an identity nothing is decrypted or even read from git.
	repo.reads = map[string]int{}
	h = l.Read(Options{})
	if h.Decrypted || len(repo.reads) != 0 || len(h.Entries) != 5 || h.Entries[4].Error != "cannot decrypt this version: no identity" {
		t.Fatalf("no identity: decrypted %v, reads %v, entries %+v", h.Decrypted, repo.reads, h.Entries)
	}
}

func TestReadReportsAMissingBlob(t *testing.T) {
	repo := &fakeRepo{log: header("c1", "Al", "a@x", "2026-11-25T16:00:00Z") + "\n:000000 100644 " + nullBlob + " " + blob('9') + " A\tx\n", reads: map[string]int{}}
	secret, _, _ := identity.Generate(false)
	id, _ := identity.Parse(secret)
	l, err := Open(repo.git, "/project", "development")
	if err != nil {
		t.Fatal(err)
	}
	h := l.Read(Options{Identity: &identity.Resolved{Identity: id}})
	if len(h.Entries) != 1 || !strings.HasPrefix(h.Entries[0].Error, "cannot read this version from git: fatal: Not a valid object name") {
		t.Fatalf("entries %+v", h.Entries)
	}
}

func TestOpenErrors(t *testing.T) {
	_, err := Open((&fakeRepo{noRepo: true}).git, "/project", "development")
	if !errors.Is(err, ErrNotRepository) || err.Error() != "/project is not inside a git repository" || len(hint.All(err)) != 1 {
		t.Errorf("outside git: %v (hints %q)", err, hint.All(err))
	}
	if _, err := Open((&fakeRepo{noCommits: true}).git, "/project", "development"); !errors.Is(err, ErrNoCommits) {
		t.Errorf("no commit: %v", err)
	}
	cause := errors.New("exit status 128: fatal: bad revision")
	_, err = Open((&fakeRepo{logErr: cause}).git, "/project", "development")
	if !errors.Is(err, cause) || !strings.HasPrefix(err.Error(), "git log .envsafe/development.age: ") {
		t.Errorf("git log failing: %v", err)
	}
	l, err := Open((&fakeRepo{}).git, "/project", "development")
	if err != nil || l.Len() != 0 {
		t.Fatalf("a file git never saw: %v, %d commits", err, l.Len())
	}
	if h := l.Read(Options{}); h.Entries == nil || len(h.Entries) != 0 || h.Names == nil {
		t.Errorf("empty history must still be a list (JSON []): %+v", h)
	}
}

func TestFile(t *testing.T) {
	if got := File("production"); got != ".envsafe/production.age" {
		t.Fatalf("File = %q", got)
	}
}
