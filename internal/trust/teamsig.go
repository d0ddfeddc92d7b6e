package trust

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// FormatVersion is the "v" of every log entry and roster this build writes
// and reads. A higher one is refused rather than half understood.
const FormatVersion = 1

// Limits on team.sig, checked before any JSON is decoded, so that a hostile
// file (10⁵ log lines, deep nesting) is refused in microseconds. A real
// team.sig is a few kilobytes.
const (
	MaxTeamSigSize = 1 << 20 // bytes
	MaxLogEntries  = 1000    // admin log lines
	MaxAdmins      = 100     // admins in one log entry
	maxSigs        = 2 * MaxAdmins
	maxTextLen     = 4096 // a recipient or key text; an age1pq recipient is about 2000
)

// Admin is one admin in a log entry: a display name and a public signing key.
type Admin struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// LogEntry is one version of the admin set. Entry 0 is the genesis, whose
// hash is the project id; each later entry names the hash of the one before,
// so the log is a hash chain that a pin's checkpoint fixes.
type LogEntry struct {
	V         int     `json:"v"`
	Index     int     `json:"index"`
	Prev      string  `json:"prev"`
	Admins    []Admin `json:"admins"`
	Threshold int     `json:"threshold"`
	Created   string  `json:"created"`
}

// Signature is one signer's signature of a team.sig line: the signer's key
// text and the base64 Ed25519 signature.
type Signature struct {
	Key string `json:"key"`
	Sig string `json:"sig"`
}

// LogLine is one admin log line of team.sig. Body holds the exact bytes that
// were signed and hashed; Entry is those bytes decoded. Body is what counts:
// Encode writes it, never a re-encoding of Entry.
type LogLine struct {
	Body  json.RawMessage
	Entry LogEntry
	Sigs  []Signature
}

// Hash is the hex SHA-256 of the entry's body: the next entry's prev, a
// checkpoint's hash, and (for entry 0) the project id.
func (l *LogLine) Hash() string { return hashHex(l.Body) }

// Member is one person or machine in the signed roster. Sign is the public
// signing key; it may be empty for an ssh-ed25519 recipient (who signs with
// that key) or for a member who never writes. ReadOnly members never write,
// so a leaked CI key costs confidentiality, not integrity.
type Member struct {
	Name      string `json:"name"`
	Recipient string `json:"recipient"`
	Sign      string `json:"sign,omitempty"`
	ReadOnly  bool   `json:"read_only,omitempty"`
}

// Environment is one environment of the signed roster and the members
// listed in it (its readers; those of them who can sign and are not
// read-only are its writers).
type Environment struct {
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

// Team is the canonical roster content: what team.yaml shows, as admins
// signed it. MaxAge keeps team.yaml's duration texts ("90d") unparsed: this
// package only carries them, the team package owns their meaning.
type Team struct {
	Default      string            `json:"default"`
	Members      []Member          `json:"members"`
	Environments []Environment     `json:"environments"`
	MaxAge       map[string]string `json:"max_age"`
}

// Roster is the signed statement of who reads and writes what. Version only
// ever rises (a replayed older roster is refused); LogHead binds it to the
// admin set that signed it; Floors are the lowest environment sequence
// numbers a reader without memory accepts; UnsignedOK lists environments
// still allowed unsigned while a project migrates.
type Roster struct {
	V          int               `json:"v"`
	Project    string            `json:"project"`
	Version    uint64            `json:"version"`
	LogHead    string            `json:"log_head"`
	Team       Team              `json:"team"`
	Floors     map[string]uint64 `json:"floors"`
	UnsignedOK []string          `json:"unsigned_ok"`
	Created    string            `json:"created"`
}

// RosterLine is the roster line of team.sig: the exact signed bytes, their
// decoding, and the admins' signatures.
type RosterLine struct {
	Body   json.RawMessage
	Roster Roster
	Sigs   []Signature
}

// Hash is the hex SHA-256 of the roster body, which environment signatures
// record (for display only: it never selects the roster that judges them).
func (r *RosterLine) Hash() string { return hashHex(r.Body) }

// File is a parsed team.sig: the admin log, oldest first, and the one
// roster line that follows it.
type File struct {
	Log    []LogLine
	Roster RosterLine
}

// rawLine is one JSON line before its body is trusted: the body stays raw
// so that signatures are checked over the bytes exactly as stored.
type rawLine struct {
	Log    json.RawMessage `json:"log"`
	Roster json.RawMessage `json:"roster"`
	Sigs   []Signature     `json:"sigs"`
}

func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// isHash reports whether s is a lower-case hex SHA-256, the only spelling
// envsafe writes, so that comparing texts compares hashes.
func isHash(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Parse reads team.sig (TRUST.md C.5 step 1): size and line limits first,
// then each line strictly (unknown fields refused) and in canonical form
// (exactly the bytes Encode writes, so duplicate keys, reordering and
// whitespace cannot make two readers see different content), the hash chain
// of the log, and the roster's invariants. It checks no signature: that is
// Verify's work. Lines may end in CRLF, as a Windows checkout may write them.
func Parse(data []byte) (*File, error) {
	if len(data) > MaxTeamSigSize {
		return nil, malformed("team.sig is larger than %d bytes", MaxTeamSigSize)
	}
	if n := bytes.Count(data, []byte{'\n'}); n > MaxLogEntries+1 {
		return nil, malformed("team.sig has more than %d log lines", MaxLogEntries)
	}
	data = bytes.TrimSuffix(data, []byte{'\n'})
	if len(data) == 0 {
		return nil, malformed("team.sig is empty")
	}
	lines := bytes.Split(data, []byte{'\n'})
	if len(lines) > MaxLogEntries+1 {
		return nil, malformed("team.sig has more than %d log lines", MaxLogEntries)
	}
	f := &File{}
	for i, line := range lines {
		line = bytes.TrimSuffix(line, []byte{'\r'})
		lineNo := i + 1
		if log, roster, ok := canonLine(line); ok {
			// The canonical form read without encoding/json; the checks
			// that follow are the same as on the strict path below.
			if err := f.addLine(log, roster, i, len(lines)); err != nil {
				return nil, err
			}
			continue
		}
		var raw rawLine
		if err := decodeStrict(line, &raw); err != nil {
			return nil, malformed("team.sig line %d: %v", lineNo, err)
		}
		if len(raw.Sigs) > maxSigs {
			return nil, malformed("team.sig line %d: more than %d signatures", lineNo, maxSigs)
		}
		switch {
		case raw.Log != nil && raw.Roster == nil:
			if i == len(lines)-1 {
				return nil, malformed("team.sig has no roster line after the admin log")
			}
			if !bytes.Equal(line, encodeLine("log", raw.Log, raw.Sigs)) {
				return nil, malformed("team.sig line %d: not in the form envsafe writes", lineNo)
			}
			l := LogLine{Body: raw.Log, Sigs: raw.Sigs}
			if err := decodeBody(raw.Log, &l.Entry); err != nil {
				return nil, malformed("team.sig line %d: log entry: %v", lineNo, err)
			}
			prev := ""
			if i > 0 {
				prev = f.Log[i-1].Hash()
			}
			if _, err := checkEntry(&l.Entry, i, prev); err != nil {
				return nil, fmt.Errorf("team.sig line %d: %w", lineNo, err)
			}
			f.Log = append(f.Log, l)
		case raw.Roster != nil && raw.Log == nil:
			if i != len(lines)-1 {
				return nil, malformed("team.sig line %d: the roster line must be the last and only one", lineNo)
			}
			if i == 0 {
				return nil, malformed("team.sig has a roster but no admin log")
			}
			if !bytes.Equal(line, encodeLine("roster", raw.Roster, raw.Sigs)) {
				return nil, malformed("team.sig line %d: not in the form envsafe writes", lineNo)
			}
			r := RosterLine{Body: raw.Roster, Sigs: raw.Sigs}
			if err := decodeBody(raw.Roster, &r.Roster); err != nil {
				return nil, malformed("team.sig line %d: roster: %v", lineNo, err)
			}
			if err := checkRoster(&r.Roster); err != nil {
				return nil, fmt.Errorf("team.sig line %d: %w", lineNo, err)
			}
			f.Roster = r
		default:
			return nil, malformed("team.sig line %d: want one \"log\" or \"roster\" object", lineNo)
		}
	}
	return f, nil
}

// addLine checks a line read in canonical form where it stands (log lines
// first, the roster last) and adds it, as the strict path does.
func (f *File) addLine(log *LogLine, roster *RosterLine, i, n int) error {
	lineNo := i + 1
	if log != nil {
		if len(log.Sigs) > maxSigs {
			return malformed("team.sig line %d: more than %d signatures", lineNo, maxSigs)
		}
		if i == n-1 {
			return malformed("team.sig has no roster line after the admin log")
		}
		prev := ""
		if i > 0 {
			prev = f.Log[i-1].Hash()
		}
		if _, err := checkEntry(&log.Entry, i, prev); err != nil {
			return fmt.Errorf("team.sig line %d: %w", lineNo, err)
		}
		f.Log = append(f.Log, *log)
		return nil
	}
	if len(roster.Sigs) > maxSigs {
		return malformed("team.sig line %d: more than %d signatures", lineNo, maxSigs)
	}
	if i != n-1 {
		return malformed("team.sig line %d: the roster line must be the last and only one", lineNo)
	}
	if i == 0 {
		return malformed("team.sig has a roster but no admin log")
	}
	if err := checkRoster(&roster.Roster); err != nil {
		return fmt.Errorf("team.sig line %d: %w", lineNo, err)
	}
	f.Roster = *roster
	return nil
}

// decodeStrict decodes exactly one JSON value, refusing unknown fields and
// anything after it.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	return nil
}

// decodeBody decodes a signed body strictly and requires it to be the
// canonical encoding of what was decoded: what a signer meant is then the
// same for every reader, whatever its JSON library does with duplicates.
func decodeBody(body []byte, v any) error {
	if err := decodeStrict(body, v); err != nil {
		return err
	}
	canon, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if !bytes.Equal(canon, body) {
		return errors.New("not in the form envsafe writes")
	}
	return nil
}

// encodeLine writes one team.sig line around body without re-encoding it:
// a signature covers body's bytes as they are.
func encodeLine(key string, body []byte, sigs []Signature) []byte {
	s, _ := json.Marshal(sigs) // a slice of two strings cannot fail
	b := make([]byte, 0, len(key)+len(body)+len(s)+16)
	b = append(b, `{"`...)
	b = append(b, key...)
	b = append(b, `":`...)
	b = append(b, body...)
	b = append(b, `,"sigs":`...)
	b = append(b, s...)
	return append(b, '}')
}

// Encode writes team.sig: one line per log entry, then the roster line,
// each with its body byte for byte, so the same File always gives the same
// bytes. It parses its own output, so it never writes a file a reader
// refuses for its form.
func Encode(f *File) ([]byte, error) {
	var b []byte
	for i := range f.Log {
		b = append(b, encodeLine("log", f.Log[i].Body, f.Log[i].Sigs)...)
		b = append(b, '\n')
	}
	b = append(b, encodeLine("roster", f.Roster.Body, f.Roster.Sigs)...)
	b = append(b, '\n')
	if _, err := Parse(b); err != nil {
		return nil, fmt.Errorf("encoding team.sig: %w", err)
	}
	return b, nil
}

// adminSet is a log entry's admins keyed by raw public key, so that the
// same key written in its two text forms is one admin.
type adminSet struct {
	byKey     map[string]Admin
	threshold int
}

// checkEntry checks one log entry's form and its place in the chain, and
// returns its admins.
func checkEntry(e *LogEntry, index int, prev string) (adminSet, error) {
	if e.V != FormatVersion {
		return adminSet{}, malformed("log entry format %d, this envsafe reads %d", e.V, FormatVersion)
	}
	if e.Index != index {
		return adminSet{}, malformed("log entry %d says it is entry %d", index, e.Index)
	}
	if e.Prev != prev {
		return adminSet{}, malformed("log entry %d does not follow entry %d", index, index-1)
	}
	if len(e.Admins) == 0 || len(e.Admins) > MaxAdmins {
		return adminSet{}, malformed("log entry %d has %d admins, want 1 to %d", index, len(e.Admins), MaxAdmins)
	}
	if e.Threshold < 1 || e.Threshold > len(e.Admins) {
		return adminSet{}, malformed("log entry %d has threshold %d for %d admins", index, e.Threshold, len(e.Admins))
	}
	if err := checkTime(e.Created); err != nil {
		return adminSet{}, malformed("log entry %d: %v", index, err)
	}
	set := adminSet{byKey: make(map[string]Admin, len(e.Admins)), threshold: e.Threshold}
	names := make(map[string]bool, len(e.Admins))
	for _, a := range e.Admins {
		if !ValidMemberName(a.Name) {
			return adminSet{}, malformed("log entry %d: invalid admin name %s", index, QuoteName(a.Name))
		}
		if names[a.Name] {
			return adminSet{}, malformed("log entry %d lists admin %s twice", index, QuoteName(a.Name))
		}
		names[a.Name] = true
		pub, err := parseKeyText(a.Key)
		if err != nil {
			return adminSet{}, malformed("log entry %d: admin %s: %v", index, QuoteName(a.Name), err)
		}
		if _, dup := set.byKey[string(pub)]; dup {
			return adminSet{}, malformed("log entry %d lists one signing key for two admins", index)
		}
		set.byKey[string(pub)] = a
	}
	return set, nil
}

// parseKeyText is ParsePublicKey with a length bound, for keys read from
// files anyone may have written.
func parseKeyText(s string) (ed25519.PublicKey, error) {
	if len(s) > maxTextLen {
		return nil, errors.New("key text too long")
	}
	return ParsePublicKey(s)
}

// checkTime accepts an RFC 3339 time, the form writers use.
func checkTime(s string) error {
	if len(s) > 64 {
		return errors.New("creation time too long")
	}
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		return fmt.Errorf("creation time %s is not RFC 3339", QuoteName(s))
	}
	return nil
}

// formatTime is how writers record a creation time: UTC, seconds.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// checkRoster checks a roster's form and the invariants every verified
// roster holds (TRUST.md C.3): names, recipients and signing keys unique,
// environments list only members, and references (default, floors,
// max_age, unsigned_ok) name environments that exist.
func checkRoster(r *Roster) error {
	if r.V != FormatVersion {
		return malformed("roster format %d, this envsafe reads %d", r.V, FormatVersion)
	}
	if !isHash(r.Project) || !isHash(r.LogHead) {
		return malformed("roster project and log_head must be hex SHA-256")
	}
	if r.Version < 1 {
		return malformed("roster version must be at least 1")
	}
	if err := checkTime(r.Created); err != nil {
		return malformed("roster: %v", err)
	}
	_, err := indexTeam(&r.Team)
	if err != nil {
		return err
	}
	envs := make(map[string]bool, len(r.Team.Environments))
	for _, e := range r.Team.Environments {
		envs[e.Name] = true
	}
	for env := range r.Floors {
		if !envs[env] {
			return malformed("roster has a floor for %s, which is not an environment", QuoteName(env))
		}
	}
	seen := make(map[string]bool, len(r.UnsignedOK))
	for _, env := range r.UnsignedOK {
		if !envs[env] || seen[env] {
			return malformed("roster unsigned_ok lists %s, which is not an environment or is listed twice", QuoteName(env))
		}
		seen[env] = true
	}
	return nil
}

// teamIndex is a checked Team with the lookups verification needs.
type teamIndex struct {
	members map[string]*Member
	envs    map[string]*Environment
	signers map[string]*Member // by raw signing key
	keys    map[string]ed25519.PublicKey
}

// indexTeam checks a team's invariants and indexes it.
func indexTeam(t *Team) (*teamIndex, error) {
	ix := &teamIndex{
		members: make(map[string]*Member, len(t.Members)),
		envs:    make(map[string]*Environment, len(t.Environments)),
		signers: make(map[string]*Member, len(t.Members)),
		keys:    make(map[string]ed25519.PublicKey, len(t.Members)),
	}
	recipients := make(map[string]bool, len(t.Members))
	for i := range t.Members {
		m := &t.Members[i]
		if !ValidMemberName(m.Name) {
			return nil, malformed("roster: invalid member name %s", QuoteName(m.Name))
		}
		if ix.members[m.Name] != nil {
			return nil, malformed("roster lists member %s twice", QuoteName(m.Name))
		}
		ix.members[m.Name] = m
		id, err := recipientID(m.Recipient)
		if err != nil {
			return nil, malformed("roster: member %s: %v", QuoteName(m.Name), err)
		}
		if recipients[id] {
			return nil, malformed("roster: member %s has another member's recipient", QuoteName(m.Name))
		}
		recipients[id] = true
		pub, err := memberKey(m)
		if err != nil {
			return nil, malformed("roster: member %s: %v", QuoteName(m.Name), err)
		}
		if pub == nil {
			continue
		}
		if ix.signers[string(pub)] != nil {
			return nil, malformed("roster: member %s has another member's signing key", QuoteName(m.Name))
		}
		ix.signers[string(pub)] = m
		ix.keys[m.Name] = pub
	}
	for i := range t.Environments {
		e := &t.Environments[i]
		if !ValidEnvName(e.Name) {
			return nil, malformed("roster: invalid environment name %s", QuoteName(e.Name))
		}
		if ix.envs[e.Name] != nil {
			return nil, malformed("roster lists environment %s twice", QuoteName(e.Name))
		}
		ix.envs[e.Name] = e
		listed := make(map[string]bool, len(e.Members))
		for _, name := range e.Members {
			if ix.members[name] == nil {
				return nil, malformed("roster: environment %s lists %s, who is not a member", QuoteName(e.Name), QuoteName(name))
			}
			if listed[name] {
				return nil, malformed("roster: environment %s lists %s twice", QuoteName(e.Name), QuoteName(name))
			}
			listed[name] = true
		}
	}
	if t.Default != "" && ix.envs[t.Default] == nil {
		return nil, malformed("roster: default environment %s does not exist", QuoteName(t.Default))
	}
	for env, age := range t.MaxAge {
		if ix.envs[env] == nil {
			return nil, malformed("roster: max_age for %s, which is not an environment", QuoteName(env))
		}
		if age == "" || len(age) > 32 {
			return nil, malformed("roster: max_age of %s is empty or too long", QuoteName(env))
		}
	}
	return ix, nil
}

// memberKey returns the key m signs with, or nil if m cannot sign. An
// ssh-ed25519 member signs with their recipient key; if they also list a
// sign key it must be that same key, so that one member never holds two
// identities and no one else can claim their SSH key as a signing key.
func memberKey(m *Member) (ed25519.PublicKey, error) {
	var sshKey ed25519.PublicKey
	if strings.HasPrefix(m.Recipient, sshEd25519+" ") {
		k, err := ParsePublicKey(m.Recipient)
		if err != nil {
			return nil, err
		}
		sshKey = k
	}
	if m.Sign == "" {
		return sshKey, nil
	}
	k, err := parseKeyText(m.Sign)
	if err != nil {
		return nil, err
	}
	if sshKey != nil && !bytes.Equal(k, sshKey) {
		return nil, errors.New("an ssh-ed25519 member signs with their SSH key; sign names another key")
	}
	return k, nil
}

// recipientID normalizes a recipient for the uniqueness check: an SSH key
// without its comment, an age recipient in lower case (bech32 is
// case-insensitive). It rejects text that cannot be a recipient, without
// parsing age's formats (the crypto package does that when sealing).
func recipientID(r string) (string, error) {
	if r == "" || len(r) > maxTextLen {
		return "", errors.New("recipient is empty or too long")
	}
	for i := 0; i < len(r); i++ {
		if r[i] < 0x20 || r[i] > 0x7e {
			return "", errors.New("recipient is not printable ASCII")
		}
	}
	if strings.HasPrefix(r, "ssh-") {
		typ, rest, _ := strings.Cut(r, " ")
		blob, _, _ := strings.Cut(rest, " ")
		return typ + " " + blob, nil
	}
	return strings.ToLower(r), nil
}

// validName holds the name rules of rosters and team.yaml alike (the team
// package uses them through ValidEnvName and ValidMemberName): a roster is
// signed, but its names still become file names and terminal output.
func validName(name string, first, rest func(c byte) bool) bool {
	if len(name) == 0 || len(name) > 63 || !first(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if !rest(name[i]) {
			return false
		}
	}
	return true
}

func isLowerDigit(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') }

func isAlnum(c byte) bool { return isLowerDigit(c) || (c >= 'A' && c <= 'Z') }

// ValidEnvName accepts environment names: lower-case letters, digits, _
// and -, starting with a letter or digit, at most 63; they are file names.
func ValidEnvName(name string) bool {
	return validName(name, isLowerDigit, func(c byte) bool { return isLowerDigit(c) || c == '_' || c == '-' })
}

// ValidMemberName accepts member names such as alice, ci-prod or a.b@corp:
// letters, digits, ., _, @ and -, at most 63.
func ValidMemberName(name string) bool {
	return validName(name, isAlnum, func(c byte) bool { return isAlnum(c) || c == '.' || c == '_' || c == '@' || c == '-' })
}
