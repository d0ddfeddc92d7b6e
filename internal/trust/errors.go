package trust

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Each sentinel names one kind of refusal, so the caller maps it to an exit
// status and a hint without parsing messages. Messages that wrap them quote
// every attacker-chosen name through QuoteName.
var (
	// ErrMalformed reports trust data (team.sig, a pin, the state file, an
	// environment signature) that is not what envsafe writes.
	ErrMalformed = errors.New("malformed trust data")

	// ErrNotPinned means there is no trust root for the project: without a
	// pin, whoever can push could write a new genesis and be believed.
	ErrNotPinned = errors.New("not pinned")

	// ErrOtherProject reports data signed for a project other than the
	// pinned one: a new genesis, or a file replayed from another project.
	ErrOtherProject = errors.New("signed for another project")

	// ErrRollback reports something older than what this machine or its pin
	// already trusted: a truncated admin log, a lower roster version, an
	// environment file below its floor or below the sequence already used.
	ErrRollback = errors.New("older than a version already trusted")

	// ErrForked reports an admin log that does not contain the log entry
	// this machine or its pin trusts: someone wrote another history.
	ErrForked = errors.New("admin log differs from the one trusted")

	// ErrBadSignature reports a signature that does not prove what it
	// claims: it does not verify, its key is not the claimed signer's, or
	// too few admins signed.
	ErrBadSignature = errors.New("signature not valid")

	// ErrNotWriter reports a correctly signed environment file whose signer
	// may not write that environment under the current verified roster.
	ErrNotWriter = errors.New("signer may not write this environment")
)

// maxQuoted bounds a quoted name: an attacker-chosen megabyte would
// otherwise fill the terminal.
const maxQuoted = 64

// QuoteName makes an attacker-chosen name (a claimed writer, an admin or
// member name, an environment name read from an unverified file) safe to
// print: control and formatting characters (ESC sequences, bidirectional
// overrides, line separators) and quote marks are dropped, invalid UTF-8 is
// dropped, it is cut at 64 characters, and it is wrapped in single quotes
// so that "claims to be 'alice'" cannot be made to read as something else.
func QuoteName(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == utf8.RuneError && size == 1 {
			continue
		}
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) || r == '\'' || r == '"' || r == '`' {
			continue
		}
		if n == maxQuoted {
			b.WriteString("...")
			break
		}
		b.WriteRune(r)
		n++
	}
	b.WriteByte('\'')
	return b.String()
}
