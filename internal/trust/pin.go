package trust

import (
	"fmt"
	"strconv"
	"strings"
)

// pinPrefix starts a pin string and carries its format version.
const pinPrefix = "envsafe-trust:1:"

// maxPinLen bounds a pasted pin: two hashes and three numbers.
const maxPinLen = 256

// Checkpoint names one admin log entry by index and hash. Verification
// starts from a checkpoint, so a log that was truncated below it or that
// forked before it is refused.
type Checkpoint struct {
	Index int    `json:"index"`
	Hash  string `json:"hash"`
}

// IsZero reports whether c names no entry (a state that has seen nothing).
func (c Checkpoint) IsZero() bool { return c == Checkpoint{} }

// Pin is the trust root of a project, kept outside the repository: the
// project id (hash of the genesis entry), a checkpoint in the admin log and
// a minimum roster version. Not the admin keys (they rotate), not the
// genesis alone (a removed admin could fork from it), not the latest roster
// (reaching today's from it needs history).
type Pin struct {
	Project    string
	Checkpoint Checkpoint
	MinRoster  uint64
}

// IsZero reports whether p is no pin at all.
func (p Pin) IsZero() bool { return p == Pin{} }

// String writes the pin the way `trust show` prints it and `trust pin`
// reads it: envsafe-trust:1:<project>:<index>:<hash>:<min roster>.
func (p Pin) String() string {
	return pinPrefix + p.Project + ":" + strconv.Itoa(p.Checkpoint.Index) + ":" + p.Checkpoint.Hash + ":" + strconv.FormatUint(p.MinRoster, 10)
}

// ParsePin reads a pin string (surrounding white space, from pasting, is
// ignored). Every part must be in the one form String writes, so that a pin
// has a single spelling to compare; a checkpoint at entry 0 must be the
// project id itself.
func ParsePin(s string) (Pin, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxPinLen || !strings.HasPrefix(s, pinPrefix) {
		return Pin{}, malformed("a pin looks like %sPROJECT:INDEX:HASH:VERSION", pinPrefix)
	}
	parts := strings.Split(s[len(pinPrefix):], ":")
	if len(parts) != 4 {
		return Pin{}, malformed("a pin has %d parts after %s, want 4", len(parts), pinPrefix)
	}
	index, err := parseDecimal(parts[1])
	if err != nil || index >= MaxLogEntries {
		return Pin{}, malformed("pin log index is not a number below %d", MaxLogEntries)
	}
	min, err := parseDecimal(parts[3])
	if err != nil {
		return Pin{}, malformed("pin roster version is not a number")
	}
	p := Pin{Project: parts[0], Checkpoint: Checkpoint{Index: int(index), Hash: parts[2]}, MinRoster: min}
	if err := p.check(); err != nil {
		return Pin{}, err
	}
	return p, nil
}

// check validates a pin however it was made (parsed, or built by a caller
// from its state).
func (p Pin) check() error {
	if !isHash(p.Project) || !isHash(p.Checkpoint.Hash) {
		return malformed("pin project and checkpoint must be hex SHA-256")
	}
	if p.Checkpoint.Index < 0 || p.Checkpoint.Index >= MaxLogEntries {
		return malformed("pin log index %d is out of range", p.Checkpoint.Index)
	}
	if p.Checkpoint.Index == 0 && p.Checkpoint.Hash != p.Project {
		return malformed("pin checkpoint at entry 0 must be the project id")
	}
	return nil
}

// parseDecimal reads a canonical unsigned decimal: digits only, no sign,
// no leading zero.
func parseDecimal(s string) (uint64, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("not a canonical number")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("not a canonical number")
		}
	}
	return strconv.ParseUint(s, 10, 64)
}
