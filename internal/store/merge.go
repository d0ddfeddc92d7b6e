package store

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/team"
	"github.com/envsafe/envsafe/internal/trust"
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
	// File is the merged file, sealed for the readers both sides share.
	File []byte
	// Conflicts are names changed differently on both branches; both
	// values are kept in the file until someone settles them.
	Conflicts []string
	// Dropped are readers of the base removed on one branch: they stay
	// removed. NotAdded are readers added on one branch only: a merge
	// never adds a reader (in a rebase "ours" is the other branch, so
	// neither side can be trusted to grant); `sync` adds them after
	// showing it.
	Dropped, NotAdded []string
	// FromTheirs are the names whose value the merge takes from the other
	// side: added ("+NAME"), changed ("~NAME") or removed ("-NAME"), for
	// the person merging to review.
	FromTheirs []string
	// SinceBase are the names whose value the result does not share with
	// the common version (added or changed on either side): in a rebase,
	// "ours" is the other branch, so this is what to check for names that
	// load code.
	SinceBase []string
}

// Merge merges three versions of env's file (base may be empty: the file is
// new on both branches) by secret name, and seals the result for the readers
// both sides' files share that team.yaml still lists: a member removed on
// either branch stays removed, and a file pushed with extra recipients
// cannot widen who reads the merge. Every side is opened through OpenFile.
//
// In a signed project (sg not nil) each side must verify as a read would
// (a base that does not is treated as absent, so no unverified value
// reaches a conflict record), no side may be older than the base, and the
// result is signed by the caller and sealed to the verified roster.
func Merge(base, ours, theirs []byte, env string, id *crypt.Identity, t *team.Team, sg *Signed) (*Merged, error) {
	open := func(data []byte) (*payload.Payload, error) {
		p, plain, err := OpenFile(data, env, id, nil, func() *team.Team { return t })
		if err == nil && sg != nil {
			// Each side must be a writer's signed version of env for this
			// project. Its age is judged by the merge itself (no side older
			// than the base, a replayed side merges as nothing), not against
			// what this machine used: the base is older by definition.
			if err = sg.verify(env, p, plain); errors.Is(err, trust.ErrRollback) {
				err = nil
			}
		}
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
	if err != nil && sg != nil && errors.Is(err, ErrIntegrity) {
		return nil, &UnrelatedError{Env: env, OnlyTheirs: onlyIn(th, o)}
	}
	if err != nil {
		return nil, err
	}
	if sg != nil {
		return mergeSigned(b, o, th, env, sg)
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
	for _, k := range o.Recipients {
		if slices.Contains(th.Recipients, k) && slices.Contains(listed, k) {
			readers = append(readers, k)
		}
	}
	for _, k := range union(o.Recipients, th.Recipients) {
		switch {
		case slices.Contains(readers, k):
		case slices.Contains(b.Recipients, k):
			m.Dropped = append(m.Dropped, team.NameOf(k, t))
		default:
			m.NotAdded = append(m.NotAdded, team.NameOf(k, t))
		}
	}
	if len(readers) == 0 {
		return nil, fmt.Errorf("merging %s would leave it with no reader", env)
	}
	merged, conflicts := payload.Merge(b, o, th)
	m.Conflicts = conflicts
	m.FromTheirs = changedFrom(o, merged)
	for _, c := range changedFrom(b, merged) {
		if c[0] != '-' {
			m.SinceBase = append(m.SinceBase, c[1:])
		}
	}
	if m.File, err = SealFileTo(readers, env, merged); err != nil {
		return nil, err
	}
	return m, nil
}

// changedFrom lists, sorted by name, how merged differs from ours.
func changedFrom(ours, merged *payload.Payload) []string {
	var out []string
	for _, name := range merged.Names() {
		v, _ := merged.Lookup(name)
		switch ov, ok := ours.Lookup(name); {
		case !ok:
			out = append(out, "+"+name)
		case ov != v:
			out = append(out, "~"+name)
		}
	}
	for _, name := range ours.Names() {
		if _, ok := merged.Lookup(name); !ok {
			out = append(out, "-"+name)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(a[1:], b[1:]) })
	return out
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, k := range b {
		if !slices.Contains(out, k) {
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

// mergeSigned merges verified sides of a signed environment and signs the
// result for the verified roster's readers.
func mergeSigned(b, o, th *payload.Payload, env string, sg *Signed) (*Merged, error) {
	seq := func(p *payload.Payload) uint64 {
		if p.Sig == nil {
			return 0
		}
		return p.Sig.Seq
	}
	if seq(o) < seq(b) || seq(th) < seq(b) {
		return nil, hint.With(fmt.Errorf("%w: a side of the merge of %s is older than the version both branches started from", ErrIntegrity, env),
			"if this is `git revert` of a secret change, abort it and bring the old values back as a new version: `envsafe restore --from COMMIT -e "+env+"`")
	}
	merged, conflicts := payload.Merge(b, o, th)
	m := &Merged{Conflicts: conflicts, FromTheirs: changedFrom(o, merged)}
	for _, c := range changedFrom(b, merged) {
		if c[0] != '-' {
			m.SinceBase = append(m.SinceBase, c[1:])
		}
	}
	var err error
	if m.File, err = sg.seal(env, merged, max(seq(o), seq(th))); err != nil {
		return nil, err
	}
	return m, nil
}
