package trust

import "bytes"

// A fast reader for the exact bytes json.Marshal writes for team.sig lines
// and state files. Every signed run reads both, and encoding/json's first
// use of each type (reflection over its fields) cost as much as the rest of
// the run. The reader accepts only the canonical form of plain ASCII
// content; anything else (an escape, a non-ASCII name, whitespace, another
// order, a negative number) makes it give up, and the strict encoding/json
// path decides as before. Where it accepts, it yields what that path
// yields: FuzzCanonMatchesStrict checks this.

type canon struct {
	b  []byte
	i  int
	ok bool
}

func newCanon(b []byte) *canon { return &canon{b: b, ok: true} }

// lit consumes s exactly.
func (c *canon) lit(s string) {
	if c.ok && len(c.b)-c.i >= len(s) && string(c.b[c.i:c.i+len(s)]) == s {
		c.i += len(s)
		return
	}
	c.ok = false
}

// try consumes s if it is next and reports whether it was.
func (c *canon) try(s string) bool {
	if c.ok && len(c.b)-c.i >= len(s) && string(c.b[c.i:c.i+len(s)]) == s {
		c.i += len(s)
		return true
	}
	return false
}

// str reads a string json.Marshal writes without any escape: printable
// ASCII other than '"', '\\' and the HTML characters it escapes.
func (c *canon) str() string {
	c.lit(`"`)
	if !c.ok {
		return ""
	}
	start := c.i
	for c.i < len(c.b) {
		switch ch := c.b[c.i]; {
		case ch == '"':
			s := string(c.b[start:c.i])
			c.i++
			return s
		case ch < 0x20 || ch >= 0x7f || ch == '\\' || ch == '<' || ch == '>' || ch == '&':
			c.ok = false
			return ""
		}
		c.i++
	}
	c.ok = false
	return ""
}

// uint reads a non-negative integer as json.Marshal writes it, of at most
// 18 digits (so that it fits int and uint64 alike).
func (c *canon) uint() uint64 {
	if !c.ok || c.i >= len(c.b) {
		c.ok = false
		return 0
	}
	if c.b[c.i] == '0' {
		c.i++
		if c.i < len(c.b) && c.b[c.i] >= '0' && c.b[c.i] <= '9' {
			c.ok = false
		}
		return 0
	}
	var n uint64
	digits := 0
	for c.i < len(c.b) && c.b[c.i] >= '0' && c.b[c.i] <= '9' {
		n = n*10 + uint64(c.b[c.i]-'0')
		c.i++
		digits++
	}
	if digits == 0 || digits > 18 {
		c.ok = false
	}
	return n
}

func (c *canon) int() int { return int(c.uint()) }

// list reads null (nil) or [item,...] ([] is an empty, non-nil slice).
func list[T any](c *canon, item func() T) []T {
	if c.try("null") {
		return nil
	}
	c.lit("[")
	out := []T{}
	if c.try("]") {
		return out
	}
	for c.ok {
		out = append(out, item())
		if c.try("]") {
			return out
		}
		c.lit(",")
	}
	return nil
}

// dict reads null (nil) or {"key":value,...} with keys in the strictly
// increasing order json.Marshal writes them.
func dict[T any](c *canon, value func() T) map[string]T {
	if c.try("null") {
		return nil
	}
	c.lit("{")
	out := map[string]T{}
	if c.try("}") {
		return out
	}
	last := ""
	for c.ok {
		k := c.str()
		if len(out) > 0 && k <= last {
			c.ok = false
			return nil
		}
		c.lit(":")
		out[k], last = value(), k
		if c.try("}") {
			return out
		}
		c.lit(",")
	}
	return nil
}

func (c *canon) sigs() []Signature {
	return list(c, func() Signature {
		var s Signature
		c.lit(`{"key":`)
		s.Key = c.str()
		c.lit(`,"sig":`)
		s.Sig = c.str()
		c.lit("}")
		return s
	})
}

func (c *canon) logEntry() LogEntry {
	var e LogEntry
	c.lit(`{"v":`)
	e.V = c.int()
	c.lit(`,"index":`)
	e.Index = c.int()
	c.lit(`,"prev":`)
	e.Prev = c.str()
	c.lit(`,"admins":`)
	e.Admins = list(c, func() Admin {
		var a Admin
		c.lit(`{"name":`)
		a.Name = c.str()
		c.lit(`,"key":`)
		a.Key = c.str()
		c.lit("}")
		return a
	})
	c.lit(`,"threshold":`)
	e.Threshold = c.int()
	c.lit(`,"created":`)
	e.Created = c.str()
	c.lit("}")
	return e
}

func (c *canon) roster() Roster {
	var r Roster
	c.lit(`{"v":`)
	r.V = c.int()
	c.lit(`,"project":`)
	r.Project = c.str()
	c.lit(`,"version":`)
	r.Version = c.uint()
	c.lit(`,"log_head":`)
	r.LogHead = c.str()
	c.lit(`,"team":{"default":`)
	r.Team.Default = c.str()
	c.lit(`,"members":`)
	r.Team.Members = list(c, func() Member {
		var m Member
		c.lit(`{"name":`)
		m.Name = c.str()
		c.lit(`,"recipient":`)
		m.Recipient = c.str()
		if c.try(`,"sign":`) {
			if m.Sign = c.str(); m.Sign == "" {
				c.ok = false // omitempty never writes ""
			}
		}
		if c.try(`,"read_only":`) {
			c.lit("true") // omitempty never writes false
			m.ReadOnly = true
		}
		c.lit("}")
		return m
	})
	c.lit(`,"environments":`)
	r.Team.Environments = list(c, func() Environment {
		var e Environment
		c.lit(`{"name":`)
		e.Name = c.str()
		c.lit(`,"members":`)
		e.Members = list(c, c.str)
		c.lit("}")
		return e
	})
	c.lit(`,"max_age":`)
	r.Team.MaxAge = dict(c, c.str)
	c.lit(`},"floors":`)
	r.Floors = dict(c, c.uint)
	c.lit(`,"unsigned_ok":`)
	r.UnsignedOK = list(c, c.str)
	c.lit(`,"created":`)
	r.Created = c.str()
	c.lit("}")
	return r
}

// canonLine reads one team.sig line in the form Encode writes, returning
// a log line or a roster line; ok is false when the strict path must read
// it instead (which then also says what is wrong).
func canonLine(line []byte) (log *LogLine, roster *RosterLine, ok bool) {
	c := newCanon(line)
	switch {
	case c.try(`{"log":`):
		start := c.i
		l := &LogLine{Entry: c.logEntry()}
		l.Body = line[start:c.i]
		c.lit(`,"sigs":`)
		l.Sigs = c.sigs()
		c.lit("}")
		log = l
	case c.try(`{"roster":`):
		start := c.i
		r := &RosterLine{Roster: c.roster()}
		r.Body = line[start:c.i]
		c.lit(`,"sigs":`)
		r.Sigs = c.sigs()
		c.lit("}")
		roster = r
	default:
		return nil, nil, false
	}
	if !c.ok || c.i != len(line) {
		return nil, nil, false
	}
	return log, roster, true
}

// canonState reads a state file as Encode writes it.
func canonState(data []byte) (State, bool) {
	c := newCanon(bytes.TrimSuffix(data, []byte{'\n'}))
	var s State
	c.lit(`{"checkpoint":{"index":`)
	s.Checkpoint.Index = c.int()
	c.lit(`,"hash":`)
	s.Checkpoint.Hash = c.str()
	c.lit(`},"roster_version":`)
	s.RosterVersion = c.uint()
	c.lit(`,"envs":`)
	s.Envs = dict(c, func() EnvState {
		c.lit(`{"seq":`)
		seq := c.uint()
		c.lit("}")
		return EnvState{Seq: seq}
	})
	c.lit("}")
	if !c.ok || c.i != len(c.b) {
		return State{}, false
	}
	return s, true
}
