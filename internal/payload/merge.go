package payload

// Merge combines two versions of an environment that share base, secret by
// secret, the way git merges lines: a secret changed (or added, or removed)
// on one side only takes that side; changed the same way on both, that
// value; changed differently on both, it is a conflict. A conflict keeps
// our value in Secrets and records every side, so nothing is lost. Base may
// be nil when both sides created the file. Unresolved conflicts already in
// ours or theirs are carried over.
func Merge(base, ours, theirs *Payload) (*Payload, []string) {
	if base == nil {
		base = New(ours.Environment)
	}
	out := New(ours.Environment)
	out.Recipients = ours.Recipients
	names := map[string]bool{}
	for _, p := range []*Payload{base, ours, theirs} {
		for name := range p.Secrets {
			names[name] = true
		}
	}
	for name := range names {
		b, bok := base.Secrets[name]
		o, ook := ours.Secrets[name]
		t, tok := theirs.Secrets[name]
		same := func(aok bool, a Secret, cok bool, c Secret) bool { return aok == cok && (!aok || a.Value == c.Value) }
		// A side is unchanged from the base only if its value and the time
		// it was set are the base's: a value changed and changed back (a
		// revoked password restored by a replayed file) is a change, and
		// so a conflict, not a silent take of the other side.
		unchanged := func(aok bool, a Secret) bool {
			return same(aok, a, bok, b) && (!aok || a.Updated.Equal(b.Updated))
		}
		switch {
		case same(ook, o, tok, t):
			if ook {
				out.Secrets[name] = o
			}
		case unchanged(ook, o):
			if tok {
				out.Secrets[name] = t
			}
		case unchanged(tok, t):
			if ook {
				out.Secrets[name] = o
			}
		default:
			if ook {
				out.Secrets[name] = o
			}
			out.Conflicts = ensure(out.Conflicts)
			out.Conflicts[name] = Conflict{Base: valueOf(bok, b), Ours: valueOf(ook, o), Theirs: valueOf(tok, t)}
		}
	}
	for _, p := range []*Payload{ours, theirs} {
		for name, c := range p.Conflicts {
			if _, decided := out.Conflicts[name]; !decided {
				out.Conflicts = ensure(out.Conflicts)
				out.Conflicts[name] = c
			}
		}
	}
	// A rotate mark stays unless the other branch rotated the secret: set
	// a new value after the mark, which it can only have done if the mark
	// was already there when it branched (the base has it). A branch from
	// before the mark (a teammate's, or the removed member's own) holds
	// values written while the removed member could still read them.
	for _, p := range []*Payload{ours, theirs} {
		for name, why := range p.Rotate {
			sec, ok := out.Secrets[name]
			if !ok {
				continue
			}
			_, markedAtBase := base.Rotate[name]
			if sec.Value == p.Secrets[name].Value || !markedAtBase {
				out.MarkToRotate([]string{name}, why)
			}
		}
	}
	return out, out.ConflictNames()
}

func ensure(m map[string]Conflict) map[string]Conflict {
	if m == nil {
		return map[string]Conflict{}
	}
	return m
}

func valueOf(ok bool, s Secret) *string {
	if !ok {
		return nil
	}
	v := s.Value
	return &v
}
