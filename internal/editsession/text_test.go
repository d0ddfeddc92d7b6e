package editsession

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/envsafe/envsafe/internal/dotenv"
	"github.com/envsafe/envsafe/internal/payload"
)

func testPayload() *payload.Payload {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := payload.New("development")
	p.Set("A", "1", now)
	p.Set("B", "two", now)
	p.Set("HASH", "has # hash", now)
	p.Set("ODD", "a'b\"c`d\ne", now) // no dotenv quoting carries all three quotes and a line break
	theirs, base := "theirs-value", "base-value"
	p.Conflicts = map[string]payload.Conflict{"C": {Base: &base, Theirs: &theirs}}
	return p
}

func TestRender(t *testing.T) {
	text, hidden := Render(testPayload(), "development")
	if !slices.Equal(hidden, []string{"ODD"}) {
		t.Fatalf("hidden = %q", hidden)
	}
	got := string(text)
	for _, want := range []string{
		"# envsafe edit: development (4 secrets). Save and quit to encrypt; quit without\n",
		"# Not shown (no dotenv quoting can carry them; kept unchanged, use envsafe set): ODD\n",
		`# merge conflict on C: the line below is our side; theirs was "theirs-value", base was "base-value". Keep or change the line, or delete it.` + "\n",
		"A=1\nB=two\nHASH='has # hash'\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Render lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "a'b") {
		t.Errorf("the hidden value is in the text:\n%s", got)
	}
	pairs, err := dotenv.Parse("development.env", text)
	if err != nil || len(pairs) != 3 {
		t.Fatalf("Render's text does not read back: %v, %v", pairs, err)
	}
}

func TestDiff(t *testing.T) {
	p := testPayload()
	for _, c := range []struct {
		name    string
		edited  []dotenv.Pair
		set     []string
		added   int
		removed []string
	}{
		{"our side of C absent: no line, so removed", []dotenv.Pair{{Name: "A", Value: "1"}, {Name: "B", Value: "two"}, {Name: "HASH", Value: "has # hash"}}, nil, 0, []string{"C"}},
		{"changed, added, removed", []dotenv.Pair{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}, {Name: "NEW", Value: "n"}}, []string{"B", "NEW"}, 1, []string{"HASH", "C"}},
		{"a conflict kept is settled", []dotenv.Pair{{Name: "A", Value: "1"}, {Name: "B", Value: "two"}, {Name: "HASH", Value: "has # hash"}, {Name: "C", Value: "ours"}}, []string{"C"}, 0, nil},
		{"everything deleted", nil, nil, 0, []string{"A", "B", "HASH", "C"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ch := Diff(p, c.edited, []string{"ODD"})
			var set []string
			for _, pr := range ch.Set {
				set = append(set, pr.Name)
			}
			if !reflect.DeepEqual(set, c.set) || ch.Added != c.added || !reflect.DeepEqual(ch.Removed, c.removed) {
				t.Fatalf("Diff = set %q added %d removed %q; want %q %d %q", set, ch.Added, ch.Removed, c.set, c.added, c.removed)
			}
			if ch.Empty() != (len(c.set) == 0 && len(c.removed) == 0) {
				t.Fatalf("Empty() = %v", ch.Empty())
			}
		})
	}
	if !(Changes{}).Empty() {
		t.Fatal("no changes is not Empty")
	}
}
