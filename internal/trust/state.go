package trust

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
)

// maxStateSize bounds the state file: a few bytes per environment.
const maxStateSize = 1 << 20

// State is what one machine has already trusted for one project: the admin
// log checkpoint, the highest roster version and, per environment, the
// highest sequence number used. Anything older is a rollback. Values only
// ever rise (Merge); the caller keeps the file under a lock and writes it
// atomically, after the whole command succeeded.
type State struct {
	Checkpoint    Checkpoint          `json:"checkpoint"`
	RosterVersion uint64              `json:"roster_version"`
	Envs          map[string]EnvState `json:"envs"`
}

// EnvState is what a machine remembers about one environment.
type EnvState struct {
	Seq uint64 `json:"seq"`
}

// DecodeState reads a state file. Empty input is the empty state (nothing
// seen yet). Unknown fields are refused: an older envsafe rewriting a newer
// state would otherwise drop what it does not know and lower protection.
func DecodeState(data []byte) (State, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return State{}, nil
	}
	if len(data) > maxStateSize {
		return State{}, malformed("trust state is larger than %d bytes", maxStateSize)
	}
	s, ok := canonState(data)
	if !ok {
		if err := decodeStrict(data, &s); err != nil {
			return State{}, malformed("trust state: %v", err)
		}
	}
	if err := s.check(); err != nil {
		return State{}, err
	}
	return s, nil
}

// Encode writes the state file deterministically (sorted environments).
func (s State) Encode() ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if s.Envs == nil {
		s.Envs = map[string]EnvState{}
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func (s State) check() error {
	c := s.Checkpoint
	if !c.IsZero() && (!isHash(c.Hash) || c.Index < 0 || c.Index >= MaxLogEntries) {
		return malformed("trust state checkpoint is not a log index and hex SHA-256")
	}
	for env := range s.Envs {
		if !ValidEnvName(env) {
			return malformed("trust state names an invalid environment %s", QuoteName(env))
		}
	}
	return nil
}

// Merge combines two states, taking the higher of every value: the later
// checkpoint, the higher roster version, each environment's higher
// sequence. It never lowers anything, so merging what a command learned
// into the file another process just wrote is always safe. Two different
// entries at the same log index are a fork, and ErrForked: neither may win
// silently (`trust reset` decides, explicitly).
func Merge(a, b State) (State, error) {
	out := State{RosterVersion: max(a.RosterVersion, b.RosterVersion)}
	switch {
	case a.Checkpoint.IsZero():
		out.Checkpoint = b.Checkpoint
	case b.Checkpoint.IsZero(), a.Checkpoint.Index > b.Checkpoint.Index:
		out.Checkpoint = a.Checkpoint
	case a.Checkpoint.Index < b.Checkpoint.Index:
		out.Checkpoint = b.Checkpoint
	case a.Checkpoint.Hash != b.Checkpoint.Hash:
		return State{}, fmt.Errorf("%w: two different admin log entries at index %d", ErrForked, a.Checkpoint.Index)
	default:
		out.Checkpoint = a.Checkpoint
	}
	if len(a.Envs)+len(b.Envs) > 0 {
		out.Envs = maps.Clone(a.Envs)
		if out.Envs == nil {
			out.Envs = make(map[string]EnvState, len(b.Envs))
		}
		for env, e := range b.Envs {
			if cur, ok := out.Envs[env]; !ok || e.Seq > cur.Seq {
				out.Envs[env] = e
			}
		}
	}
	return out, nil
}

// Raise returns s with env's sequence raised to seq (never lowered): what a
// successful read or write of that environment teaches the machine.
func (s State) Raise(env string, seq uint64) State {
	out := s
	out.Envs = maps.Clone(s.Envs)
	if out.Envs == nil {
		out.Envs = map[string]EnvState{}
	}
	if cur, ok := out.Envs[env]; !ok || seq > cur.Seq {
		out.Envs[env] = EnvState{Seq: seq}
	}
	return out
}

// UpdateState merges update into the stored state through the caller's
// read and write functions: read returns the current file (nil or empty if
// there is none), write replaces it atomically. The caller holds the lock
// around the call; this package knows no paths. The file is not rewritten
// when nothing rose. It returns the state now stored.
func UpdateState(read func() ([]byte, error), write func([]byte) error, update State) (State, error) {
	old, err := read()
	if err != nil {
		return State{}, fmt.Errorf("reading trust state: %w", err)
	}
	cur, err := DecodeState(old)
	if err != nil {
		return State{}, err
	}
	next, err := Merge(cur, update)
	if err != nil {
		return State{}, err
	}
	if err := next.check(); err != nil {
		return State{}, err
	}
	data, err := next.Encode()
	if err != nil {
		return State{}, err
	}
	if bytes.Equal(data, old) {
		return next, nil
	}
	if err := write(data); err != nil {
		return State{}, fmt.Errorf("writing trust state: %w", err)
	}
	return next, nil
}
