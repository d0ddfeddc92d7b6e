package store

import (
	"errors"
	"fmt"
	"slices"

	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/team"
)

// ErrUnrelated means both branches created the same environment file: there
// is no common version to merge from, and merging two unrelated files by
// name would let a forged one add variables to the real one unnoticed.
var ErrUnrelated = errors.New("created on both branches")

// UnrelatedError lists what a merge of two unrelated files would have
// brought in from the other branch, by name, for the person to review.
type UnrelatedError struct {
	Env string
	// OnlyTheirs are names the other branch's file has and ours does not.
	OnlyTheirs []string
}

func (e *UnrelatedError) Error() string {
	return fmt.Sprintf("%s.age was %s", e.Env, ErrUnrelated)
}

func (e *UnrelatedError) Unwrap() error { return ErrUnrelated }

// Merged is the result of a three-way merge of an environment file.
type Merged struct {
	// File is the merged file, sealed for Readers.
	File []byte
	// Conflicts are names changed differently on both branches; both
	// values are kept in the file until someone settles them.
	Conflicts []string
	// Dropped are readers of our file who are not readers of the result:
	// removed on the other branch. LeftOut were added on a branch but are
	// not in team.yaml here: `sync` adds them, after showing it.
	Dropped, LeftOut []string
}

// Merge merges three versions of env's file (base may be empty: the file is
// new on both branches) by secret name, and seals the result for the merged
// readers: a reader is kept only if no branch removed them, added only if a
// branch added them and team.yaml lists them for env. So a member removed on
// either branch stays removed, and a file pushed with extra recipients
// cannot widen who reads the merge. Every side is opened through OpenFile.
func Merge(base, ours, theirs []byte, env string, id *crypt.Identity, t *team.Team) (*Merged, error) {
	open := func(data []byte) (*payload.Payload, error) {
		p, plain, err := OpenFile(data, env, id)
		clear(plain)
		return p, err
	}
	o, err := open(ours)
	if err != nil {
		return nil, err
	}
	th, err := open(theirs)
	if err != nil {
		return nil, err
	}
	if len(base) == 0 {
		return nil, &UnrelatedError{Env: env, OnlyTheirs: onlyIn(th, o)}
	}
	b, err := open(base)
	if err != nil {
		return nil, err
	}
	want, err := t.Recipients(env)
	if err != nil {
		return nil, err
	}
	listed := make([]string, len(want))
	for i, r := range want {
		listed[i] = r.String()
	}
	m := &Merged{}
	var readers []string
	for _, k := range mergeSets(b.Recipients, o.Recipients, th.Recipients) {
		switch {
		case slices.Contains(listed, k):
			readers = append(readers, k)
		case !slices.Contains(o.Recipients, k):
			m.LeftOut = append(m.LeftOut, nameIn(t, k))
		}
	}
	for _, k := range o.Recipients {
		if !slices.Contains(readers, k) {
			m.Dropped = append(m.Dropped, nameIn(t, k))
		}
	}
	if len(readers) == 0 {
		return nil, fmt.Errorf("merging %s would leave it with no reader", env)
	}
	merged, conflicts := payload.Merge(b, o, th)
	m.Conflicts = conflicts
	if m.File, err = SealFileTo(readers, env, merged); err != nil {
		return nil, err
	}
	return m, nil
}

// mergeSets is the three-way merge of recipient lists: kept if in both
// sides; if in base, removed when either side removed it; if not in base,
// added when either side added it.
func mergeSets(base, ours, theirs []string) []string {
	var out []string
	for _, k := range ours {
		if slices.Contains(theirs, k) || !slices.Contains(base, k) {
			out = append(out, k)
		}
	}
	for _, k := range theirs {
		if !slices.Contains(ours, k) && !slices.Contains(base, k) {
			out = append(out, k)
		}
	}
	return out
}

func onlyIn(a, b *payload.Payload) []string {
	var out []string
	for _, name := range a.Names() {
		if _, ok := b.Secrets[name]; !ok {
			out = append(out, name)
		}
	}
	return out
}

func nameIn(t *team.Team, key string) string {
	if n, ok := t.MemberByRecipient(key); ok {
		return n
	}
	return crypt.Short(key)
}
