package trust

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
)

// An admin-set change is one new admin log entry. It counts once it carries
// signatures from a threshold of the previous entry's admins and from every
// admin it adds (each proves they hold their key), so it is usually signed
// by more than one person: the entry waits in a pending file, as its one
// canonical line, until MissingSigners is empty.

// AdminChange describes entry against the log head it follows, for people:
// "+ bob", "- carol", "threshold 1 → 2".
func AdminChange(head LogEntry, next LogEntry) []string {
	var lines []string
	had := map[string]Admin{}
	for _, a := range head.Admins {
		had[a.Key] = a
	}
	has := map[string]bool{}
	for _, a := range next.Admins {
		has[a.Key] = true
		if _, ok := had[a.Key]; !ok {
			lines = append(lines, "admins: + "+QuoteName(a.Name)+" ("+shortKey(a.Key)+")")
		}
	}
	for _, a := range head.Admins {
		if !has[a.Key] {
			lines = append(lines, "admins: - "+QuoteName(a.Name))
		}
	}
	if head.Threshold != next.Threshold {
		lines = append(lines, fmt.Sprintf("threshold: %d → %d signatures of admins for each change", head.Threshold, next.Threshold))
	}
	return lines
}

func shortKey(k string) string {
	if len(k) > 28 {
		return k[:28] + "…"
	}
	return k
}

// MissingSigners checks a pending entry against the log it must follow
// and returns who still has to sign it: the added admins who have not, and
// (as one item) how many more signatures of the previous admins are due.
// Every signature it carries must verify and come from a previous or an
// added admin. An entry that does not follow log's head is stale.
func MissingSigners(log []LogLine, entry LogLine) ([]string, error) {
	if len(log) == 0 {
		return nil, malformed("no admin log to follow")
	}
	head := log[len(log)-1]
	if entry.Entry.Prev != head.Hash() || entry.Entry.Index != len(log) {
		return nil, fmt.Errorf("%w: the proposed admin change follows another admin log entry than team.sig's last (the log changed since it was proposed)", ErrForked)
	}
	prev, err := checkEntry(&head.Entry, len(log)-1, head.Entry.Prev)
	if err != nil {
		return nil, err
	}
	cur, err := checkEntry(&entry.Entry, len(log), entry.Entry.Prev)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	counted := 0
	for _, s := range entry.Sigs {
		pub, err := parseKeyText(s.Key)
		if err != nil {
			return nil, malformed("the proposed admin change: signature key: %v", err)
		}
		_, isPrev := prev.byKey[string(pub)]
		_, isNew := cur.byKey[string(pub)]
		if !isPrev && !isNew {
			return nil, fmt.Errorf("%w: the proposed admin change is signed by a key that is neither a current nor an added admin", ErrBadSignature)
		}
		raw, err := decodeSig(s.Sig)
		if err != nil || !VerifySignature(pub, KindLog, entry.Body, raw) {
			return nil, fmt.Errorf("%w: a signature on the proposed admin change does not verify", ErrBadSignature)
		}
		seen[string(pub)] = true
		if isPrev {
			counted++
		}
	}
	var missing []string
	for key, a := range cur.byKey {
		if _, already := prev.byKey[key]; !already && !seen[key] {
			missing = append(missing, QuoteName(a.Name)+" (added)")
		}
	}
	slices.Sort(missing)
	if counted < prev.threshold {
		var who []string
		for key, a := range prev.byKey {
			if !seen[key] {
				who = append(who, QuoteName(a.Name))
			}
		}
		slices.Sort(who)
		missing = append(missing, fmt.Sprintf("%d more of the current admins (%s)", prev.threshold-counted, strings.Join(who, ", ")))
	}
	return missing, nil
}

// EncodePending writes a pending entry as the one line team.sig would hold.
func EncodePending(entry LogLine) []byte {
	return append(encodeLine("log", entry.Body, entry.Sigs), '\n')
}

// ParsePending reads a pending entry written by EncodePending.
func ParsePending(data []byte) (LogLine, error) {
	data = bytes.TrimSuffix(bytes.TrimSuffix(data, []byte{'\n'}), []byte{'\r'})
	if len(data) > MaxTeamSigSize || bytes.ContainsRune(data, '\n') {
		return LogLine{}, malformed("the pending admin change is not one team.sig line")
	}
	log, _, ok := canonLine(data)
	if !ok {
		var raw rawLine
		if err := decodeStrict(data, &raw); err != nil || raw.Log == nil || raw.Roster != nil || !bytes.Equal(data, encodeLine("log", raw.Log, raw.Sigs)) {
			return LogLine{}, malformed("the pending admin change is not a log line in the form envsafe writes")
		}
		l := LogLine{Body: raw.Log, Sigs: raw.Sigs}
		if err := decodeBody(raw.Log, &l.Entry); err != nil {
			return LogLine{}, malformed("the pending admin change: %v", err)
		}
		log = &l
	}
	if log == nil {
		return LogLine{}, malformed("the pending admin change is not a log line")
	}
	return *log, nil
}

// decodeSig reads a base64 Ed25519 signature.
func decodeSig(s string) ([]byte, error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(raw) != ed25519.SignatureSize {
		return nil, malformed("a signature is not base64 of %d bytes", ed25519.SignatureSize)
	}
	return raw, nil
}

// SigningKeyOf returns the public signing key the roster gives member name
// (their envsafe key, or their ssh-ed25519 key), as an admin entry holds it.
func (v *Verified) SigningKeyOf(name string) (string, bool) {
	pub, ok := v.ix.keys[name]
	if !ok {
		return "", false
	}
	return FormatPublicKey(pub), true
}

// IsWriter reports whether, under the roster content tm, member name is a
// writer of env (listed in it, not read-only) whose signing key is key,
// the key an environment signature records: whether a file they signed
// stays readable once tm is signed.
func IsWriter(tm Team, env, name, key string) bool {
	k, err := parseKeyText(key)
	if err != nil {
		return false
	}
	for i := range tm.Members {
		m := &tm.Members[i]
		if m.Name != name || m.ReadOnly {
			continue
		}
		pub, err := memberKey(m)
		if err != nil || pub == nil || !pub.Equal(k) {
			return false
		}
		for _, e := range tm.Environments {
			if e.Name == env && slices.Contains(e.Members, name) {
				return true
			}
		}
	}
	return false
}
