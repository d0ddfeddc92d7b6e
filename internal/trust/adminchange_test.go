package trust

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// An added admin must sign their own entry, and a threshold of the current
// admins too; a stranger's signature, a stale entry and a mangled pending
// line are refused; the pending line round-trips.
func TestMissingSigners(t *testing.T) {
	p := newProject(t) // admins alice and rob, threshold 1
	head := p.log[len(p.log)-1].Entry
	admins := append(append([]Admin{}, head.Admins...), admin("carol"))
	entry, err := AppendLogEntry(p.log, admins, 1, epoch(5), testKey("rob"))
	if err != nil {
		t.Fatal(err)
	}
	missing, err := MissingSigners(p.log, entry)
	if err != nil || !reflect.DeepEqual(missing, []string{"'carol' (added)"}) {
		t.Fatalf("missing %q, %v", missing, err)
	}
	if got := AdminChange(head, entry.Entry); len(got) != 1 || !strings.HasPrefix(got[0], "admins: + 'carol'") {
		t.Fatalf("AdminChange = %q", got)
	}
	back, err := ParsePending(EncodePending(entry))
	if err != nil || !reflect.DeepEqual(back, entry) {
		t.Fatalf("pending round trip: %v", err)
	}
	if err := back.AddSignature(testKey("carol")); err != nil {
		t.Fatal(err)
	}
	if missing, err := MissingSigners(p.log, back); err != nil || len(missing) != 0 {
		t.Fatalf("after carol signs: %q, %v", missing, err)
	}
	// Only the added admin signed: the current admins' threshold is due.
	self, _ := AppendLogEntry(p.log, admins, 1, epoch(5), testKey("carol"))
	if missing, _ := MissingSigners(p.log, self); len(missing) != 1 || !strings.Contains(missing[0], "1 more of the current admins ('alice', 'rob')") {
		t.Fatalf("self-signed: %q", missing)
	}
	stranger := entry
	if err := stranger.AddSignature(testKey("mallory")); err != nil {
		t.Fatal(err)
	}
	if _, err := MissingSigners(p.log, stranger); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("a stranger's signature: %v", err)
	}
	longer := append(append([]LogLine{}, p.log...), back)
	if _, err := MissingSigners(longer, entry); !errors.Is(err, ErrForked) {
		t.Fatalf("a stale entry: %v", err)
	}
	if _, err := ParsePending([]byte("{\"log\":{}}\n{\"log\":{}}\n")); err == nil {
		t.Fatal("two lines read as one pending entry")
	}
}
