package payload

import (
	"reflect"
	"testing"
	"time"
)

func env(kv ...string) *Payload {
	p := New("dev")
	for i := 0; i+1 < len(kv); i += 2 {
		p.Set(kv[i], kv[i+1], t0)
	}
	return p
}

func values(p *Payload) map[string]string {
	m := map[string]string{}
	for n, s := range p.Secrets {
		m[n] = s.Value
	}
	return m
}

func TestMergeBySecretName(t *testing.T) {
	base := env("A", "1", "B", "1", "C", "1", "D", "1", "E", "1")
	ours := env("A", "2", "B", "1", "C", "ours", "D", "same", "NEW_OURS", "o") // E removed
	theirs := env("A", "1", "B", "3", "C", "theirs", "D", "same", "E", "1", "NEW_THEIRS", "t")
	got, conflicts := Merge(base, ours, theirs)
	want := map[string]string{"A": "2", "B": "3", "C": "ours", "D": "same", "NEW_OURS": "o", "NEW_THEIRS": "t"}
	if !reflect.DeepEqual(values(got), want) {
		t.Fatalf("merged = %v, want %v", values(got), want)
	}
	if !reflect.DeepEqual(conflicts, []string{"C"}) {
		t.Fatalf("conflicts = %v", conflicts)
	}
	c := got.Conflicts["C"]
	if *c.Base != "1" || *c.Ours != "ours" || *c.Theirs != "theirs" {
		t.Fatalf("conflict lost a side: %+v", c)
	}
	// The conflict survives encoding, and setting the secret resolves it.
	data, err := got.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(data, "dev")
	if err != nil || len(back.Conflicts) != 1 {
		t.Fatalf("decoded conflicts %v, %v", back.Conflicts, err)
	}
	if !back.Set("C", "ours", t0) {
		t.Fatal("resolving with the current value must count as a change")
	}
	if len(back.Conflicts) != 0 {
		t.Fatal("Set did not resolve the conflict")
	}
}

func TestMergeDeleteAgainstChangeIsAConflict(t *testing.T) {
	base := env("A", "1")
	ours := env()
	theirs := env("A", "2")
	got, conflicts := Merge(base, ours, theirs)
	if !reflect.DeepEqual(conflicts, []string{"A"}) {
		t.Fatalf("conflicts = %v", conflicts)
	}
	if _, ok := got.Secrets["A"]; ok {
		t.Fatal("ours removed A; it must stay removed until resolved")
	}
	if c := got.Conflicts["A"]; c.Ours != nil || *c.Theirs != "2" {
		t.Fatalf("conflict = %+v", c)
	}
}

func TestMergeWithoutBaseAndBothAdded(t *testing.T) {
	got, conflicts := Merge(nil, env("A", "1", "B", "x"), env("A", "1", "B", "y"))
	if !reflect.DeepEqual(conflicts, []string{"B"}) || values(got)["A"] != "1" {
		t.Fatalf("got %v conflicts %v", values(got), conflicts)
	}
}

// A value changed and changed back on one side (a replayed older file
// bringing a revoked password back under its old value, set again later)
// is a change: it conflicts with the other side's change instead of
// silently giving way to it.
func TestMergeChangedAndChangedBackIsAChange(t *testing.T) {
	base := env("PASSWORD", "old")
	ours := env("PASSWORD", "old")
	ours.Set("PASSWORD", "new", t0.Add(time.Hour))
	ours.Set("PASSWORD", "old", t0.Add(2*time.Hour)) // changed back, later
	theirs := env("PASSWORD", "rotated")
	_, conflicts := Merge(base, ours, theirs)
	if !reflect.DeepEqual(conflicts, []string{"PASSWORD"}) {
		t.Fatalf("conflicts = %v, want PASSWORD", conflicts)
	}
}
