package crypt

import (
	"bytes"
	"encoding/base64"
	"errors"
)

const (
	armorHeader  = "-----BEGIN AGE ENCRYPTED FILE-----"
	armorFooter  = "-----END AGE ENCRYPTED FILE-----"
	armorColumns = 64
	// armorWhitespace is how much blank space age tolerates around armor.
	armorWhitespace = 1024
)

var errArmor = errors.New("invalid armor")

// armorTo appends bin as age's armor to dst, byte for byte what
// filippo.io/age/armor's writer produces (TestEnarmorMatchesAge): the
// header line, base64 in 64-column lines each ended by a newline, the
// footer line. age's writer wraps through a chain of small writes; this
// encodes with one call, at the end of the space the lines take, and then
// moves each line down into place (a line never moves past the next
// line's encoded text, so nothing is overwritten before it is moved).
func armorTo(dst, bin []byte) []byte {
	n := base64.StdEncoding.EncodedLen(len(bin))
	lines := (n + armorColumns - 1) / armorColumns
	dst = append(dst, armorHeader+"\n"...)
	start := len(dst)
	dst = append(dst, make([]byte, n+lines)...)
	region := dst[start:]
	base64.StdEncoding.Encode(region[lines:], bin)
	for l := 0; l < lines; l++ {
		from, to := lines+l*armorColumns, lines+min((l+1)*armorColumns, n)
		at := l * (armorColumns + 1)
		copy(region[at:], region[from:to])
		region[at+to-from] = '\n'
	}
	return append(dst, armorFooter+"\n"...)
}

// dearmor decodes age's ASCII armor in one pass, accepting exactly what
// filippo.io/age/armor's reader accepts (FuzzDearmor checks this): blank
// lines before the header, LF or CRLF line ends, full 64-column lines of
// strict base64 and one shorter last line, and only blank space after the
// footer. age's reader decodes line by line through a bufio.Reader; this
// decodes the whole body with one call, which matters for `envsafe run`.
func dearmor(data []byte) ([]byte, error) {
	rest := data
	line := func() ([]byte, bool) {
		if len(rest) == 0 {
			return nil, false
		}
		i := bytes.IndexByte(rest, '\n')
		var l []byte
		if i < 0 {
			l, rest = rest, nil
		} else {
			l, rest = rest[:i], rest[i+1:]
		}
		return bytes.TrimSuffix(l, []byte("\r")), true
	}
	skipped := 0
	for {
		l, ok := line()
		if !ok {
			return nil, errArmor
		}
		if len(bytes.TrimSpace(l)) == 0 {
			if skipped += len(l) + 1; skipped > armorWhitespace {
				return nil, errArmor
			}
			continue
		}
		if string(l) != armorHeader {
			return nil, errArmor
		}
		break
	}
	body := make([]byte, 0, len(rest))
	for {
		l, ok := line()
		if !ok {
			return nil, errArmor
		}
		if string(l) == armorFooter {
			break
		}
		// A line holds no '\n' (lines are cut there); a '\r' other than the
		// last was not trimmed. (IndexByte, not ContainsAny: this runs
		// once per 64 characters of the file.)
		if len(l) == 0 || len(l) > armorColumns || bytes.IndexByte(l, '\r') >= 0 {
			return nil, errArmor
		}
		body = append(body, l...)
		if len(l) < armorColumns || bytes.HasSuffix(l, []byte("=")) {
			// A short (or padded) line ends the data: the footer must follow.
			if f, ok := line(); !ok || string(f) != armorFooter {
				return nil, errArmor
			}
			break
		}
	}
	if len(rest) >= armorWhitespace || len(bytes.TrimSpace(rest)) != 0 {
		return nil, errArmor
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
	n, err := base64.StdEncoding.Strict().Decode(out, body)
	if err != nil {
		return nil, errArmor
	}
	return out[:n], nil
}
