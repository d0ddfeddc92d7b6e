package trust

import (
	"cmp"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
)

// NewGenesis starts a project's admin log: entry 0 with one admin, name,
// holding key, threshold 1, signed by that admin. Its hash becomes the
// project id, so it is written once per project (`trust init`).
func NewGenesis(name string, key ed25519.PrivateKey, created time.Time) (LogLine, error) {
	return AppendLogEntry(nil, []Admin{{Name: name, Key: PublicKeyText(key)}}, 1, created, key)
}

// AppendLogEntry writes the log entry that follows log (the genesis when log
// is empty) with a new admin set and threshold, signed by keys. Verify
// accepts it once it carries signatures from a threshold of the previous
// entry's admins and from every admin it adds (proof that each new admin
// holds their key); with a threshold above one, other admins add theirs
// later with LogLine.AddSignature.
func AppendLogEntry(log []LogLine, admins []Admin, threshold int, created time.Time, keys ...ed25519.PrivateKey) (LogLine, error) {
	e := LogEntry{
		V:         FormatVersion,
		Index:     len(log),
		Admins:    slices.Clone(admins),
		Threshold: threshold,
		Created:   formatTime(created),
	}
	if len(log) > 0 {
		e.Prev = log[len(log)-1].Hash()
	}
	if len(log) >= MaxLogEntries {
		return LogLine{}, malformed("the admin log already has %d entries", MaxLogEntries)
	}
	if _, err := checkEntry(&e, e.Index, e.Prev); err != nil {
		return LogLine{}, err
	}
	body, err := json.Marshal(&e)
	if err != nil {
		return LogLine{}, err
	}
	l := LogLine{Body: body, Entry: e, Sigs: []Signature{}}
	for _, k := range keys {
		if err := l.AddSignature(k); err != nil {
			return LogLine{}, err
		}
	}
	return l, nil
}

// AddSignature adds key's signature to the log line (replacing an earlier
// one by the same key), for admin changes that need several admins.
func (l *LogLine) AddSignature(key ed25519.PrivateKey) error {
	sigs, err := addSignature(l.Sigs, key, KindLog, l.Body)
	if err != nil {
		return err
	}
	l.Sigs = sigs
	return nil
}

// SignRoster writes the roster line for r under the admin log log, signed
// by keys: it sets the format version, the project id (the genesis hash),
// log_head (the last entry's hash, so the roster is valid only under the
// admin set that signed it) and the creation time, and checks the roster
// invariants so that an admin never signs a roster readers refuse. r.Version
// is the caller's: the verified roster's version plus one.
func SignRoster(log []LogLine, r Roster, created time.Time, keys ...ed25519.PrivateKey) (RosterLine, error) {
	if len(log) == 0 {
		return RosterLine{}, malformed("a roster needs an admin log")
	}
	r.V = FormatVersion
	r.Project = log[0].Hash()
	r.LogHead = log[len(log)-1].Hash()
	r.Created = formatTime(created)
	r.Team = normalizeTeam(r.Team)
	r.Floors = maps.Clone(r.Floors)
	if r.Floors == nil {
		r.Floors = map[string]uint64{}
	}
	r.UnsignedOK = slices.Clone(r.UnsignedOK)
	if r.UnsignedOK == nil {
		r.UnsignedOK = []string{}
	}
	if err := checkRoster(&r); err != nil {
		return RosterLine{}, err
	}
	body, err := json.Marshal(&r)
	if err != nil {
		return RosterLine{}, err
	}
	line := RosterLine{Body: body, Roster: r, Sigs: []Signature{}}
	for _, k := range keys {
		if err := line.AddSignature(k); err != nil {
			return RosterLine{}, err
		}
	}
	return line, nil
}

// AddSignature adds key's signature to the roster line (replacing an
// earlier one by the same key), for thresholds above one.
func (r *RosterLine) AddSignature(key ed25519.PrivateKey) error {
	sigs, err := addSignature(r.Sigs, key, KindRoster, r.Body)
	if err != nil {
		return err
	}
	r.Sigs = sigs
	return nil
}

// normalizeTeam copies t with empty lists and maps instead of nil ones, so
// that the signed JSON says [] and {} rather than null.
func normalizeTeam(t Team) Team {
	out := Team{Default: t.Default, Members: slices.Clone(t.Members), MaxAge: maps.Clone(t.MaxAge)}
	if out.Members == nil {
		out.Members = []Member{}
	}
	if out.MaxAge == nil {
		out.MaxAge = map[string]string{}
	}
	out.Environments = make([]Environment, len(t.Environments))
	for i, e := range t.Environments {
		out.Environments[i] = Environment{Name: e.Name, Members: slices.Clone(e.Members)}
		if out.Environments[i].Members == nil {
			out.Environments[i].Members = []string{}
		}
	}
	return out
}

// addSignature signs body and keeps the signatures sorted by key text, so
// that the same signers give the same bytes whatever order they signed in.
func addSignature(sigs []Signature, key ed25519.PrivateKey, kind Kind, body []byte) ([]Signature, error) {
	sig, err := Sign(key, kind, body)
	if err != nil {
		return nil, err
	}
	pub := key.Public().(ed25519.PublicKey)
	out := slices.DeleteFunc(slices.Clone(sigs), func(s Signature) bool {
		k, err := ParsePublicKey(s.Key)
		return err == nil && k.Equal(pub)
	})
	if len(out) >= maxSigs {
		return nil, fmt.Errorf("a line holds at most %d signatures", maxSigs)
	}
	out = append(out, Signature{Key: FormatPublicKey(pub), Sig: base64.StdEncoding.EncodeToString(sig)})
	slices.SortFunc(out, func(a, b Signature) int { return cmp.Compare(a.Key, b.Key) })
	return out, nil
}
