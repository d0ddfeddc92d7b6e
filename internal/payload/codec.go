package payload

import (
	"errors"
	"fmt"
	"github.com/envsafe/envsafe/internal/trust"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is the payload's JSON, by hand. encoding/json decodes 10,000
// secrets in about 10 ms and encodes them in 7; `envsafe run` sits in front
// of every command a developer starts and must cost little more than one age
// decryption, so the one document shape envsafe reads and writes gets a
// dedicated scanner. It is strict JSON (RFC 8259) for exactly the fields of
// Payload; FuzzDecode checks it against encoding/json.

var errSyntax = errors.New("json syntax")

// errUnknownField is a top-level field this build does not know: a newer
// envsafe wrote the file (the file decrypted, so it is not damage).
var errUnknownField = errors.New("unknown field")

// scanner reads one JSON document. src is the document as a string, so that
// strings without escapes become substrings of it instead of copies.
type scanner struct {
	src string
	pos int
}

func (s *scanner) ws() {
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.pos >= len(s.src) {
		return 0
	}
	return s.src[s.pos]
}

func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		return errSyntax
	}
	s.pos++
	return nil
}

// null consumes a literal null if one is next.
func (s *scanner) null() bool {
	if s.peek() == 'n' && len(s.src)-s.pos >= 4 && s.src[s.pos:s.pos+4] == "null" {
		s.pos += 4
		return true
	}
	return false
}

// str reads a string. Raw bytes must be valid UTF-8 and no control
// characters; escapes follow RFC 8259, with lone surrogates becoming U+FFFD
// as in encoding/json.
func (s *scanner) str() (string, error) {
	if s.peek() != '"' {
		return "", errSyntax
	}
	s.pos++
	start := s.pos
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch {
		case c == '"':
			out := s.src[start:s.pos]
			s.pos++
			return out, nil
		case c == '\\':
			return s.strEscaped(start)
		case c < 0x20:
			return "", errSyntax
		case c < utf8.RuneSelf:
			s.pos++
		default:
			r, n := utf8.DecodeRuneInString(s.src[s.pos:])
			if r == utf8.RuneError && n == 1 {
				return "", errSyntax
			}
			s.pos += n
		}
	}
	return "", errSyntax
}

// strEscaped finishes a string that holds escapes, building a copy.
func (s *scanner) strEscaped(start int) (string, error) {
	buf := make([]byte, 0, s.pos-start+16)
	buf = append(buf, s.src[start:s.pos]...)
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch {
		case c == '"':
			s.pos++
			return string(buf), nil
		case c == '\\':
			if s.pos+1 >= len(s.src) {
				return "", errSyntax
			}
			e := s.src[s.pos+1]
			s.pos += 2
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := s.hex4()
				if !ok {
					return "", errSyntax
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(utf8.RuneError)
					if save := s.pos; len(s.src)-s.pos >= 6 && s.src[s.pos] == '\\' && s.src[s.pos+1] == 'u' {
						s.pos += 2
						if lo, ok := s.hex4(); ok {
							if dec := utf16.DecodeRune(r, lo); dec != utf8.RuneError {
								r2 = dec
							} else {
								s.pos = save
							}
						} else {
							return "", errSyntax
						}
					}
					r = r2
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", errSyntax
			}
		case c < 0x20:
			return "", errSyntax
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			s.pos++
		default:
			r, n := utf8.DecodeRuneInString(s.src[s.pos:])
			if r == utf8.RuneError && n == 1 {
				return "", errSyntax
			}
			buf = append(buf, s.src[s.pos:s.pos+n]...)
			s.pos += n
		}
	}
	return "", errSyntax
}

func (s *scanner) hex4() (rune, bool) {
	if len(s.src)-s.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s.src[s.pos : s.pos+4]) {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	s.pos += 4
	return r, true
}

// integer reads a JSON number that must be an integer, as encoding/json
// requires for an int field.
func (s *scanner) integer() (int, error) {
	s.ws()
	start := s.pos
	if s.pos < len(s.src) && s.src[s.pos] == '-' {
		s.pos++
	}
	digits := s.pos
	for s.pos < len(s.src) && s.src[s.pos] >= '0' && s.src[s.pos] <= '9' {
		s.pos++
	}
	if s.pos == digits || (s.src[digits] == '0' && s.pos-digits > 1) {
		return 0, errSyntax
	}
	if s.pos < len(s.src) && (s.src[s.pos] == '.' || s.src[s.pos] == 'e' || s.src[s.pos] == 'E') {
		return 0, errSyntax
	}
	return strconv.Atoi(s.src[start:s.pos])
}

// unsigned reads a JSON number that must be an unsigned 64-bit integer, as
// encoding/json requires for a uint64 field.
func (s *scanner) unsigned() (uint64, error) {
	s.ws()
	start := s.pos
	for s.pos < len(s.src) && s.src[s.pos] >= '0' && s.src[s.pos] <= '9' {
		s.pos++
	}
	if s.pos == start || (s.src[start] == '0' && s.pos-start > 1) {
		return 0, errSyntax
	}
	if s.pos < len(s.src) && (s.src[s.pos] == '.' || s.src[s.pos] == 'e' || s.src[s.pos] == 'E') {
		return 0, errSyntax
	}
	return strconv.ParseUint(s.src[start:s.pos], 10, 64)
}

// object calls field for each member of an object (or nothing for null).
func (s *scanner) object(field func(key string) error) error {
	if s.null() {
		return nil
	}
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	for {
		key, err := s.str()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := field(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return errSyntax
		}
	}
}

// strOrNull reads a string or null (ok false), without the allocation of
// optString's pointer: it reads every secret's value.
func (s *scanner) strOrNull() (v string, ok bool, err error) {
	if s.null() {
		return "", false, nil
	}
	v, err = s.str()
	return v, err == nil, err
}

// optString reads a string or null (nil).
func (s *scanner) optString() (*string, error) {
	if s.null() {
		return nil, nil
	}
	v, err := s.str()
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// parse reads data into a Payload with encoding/json's meaning for this
// shape (null leaves a zero value, the last of repeated keys wins) but
// stricter: keys match exactly, raw bytes must be UTF-8.
func parse(data []byte) (*Payload, error) {
	s := &scanner{src: string(data)}
	var p Payload
	err := s.object(func(key string) error {
		var err error
		switch key {
		case "envsafe":
			if s.null() {
				return nil
			}
			p.Version, err = s.integer()
		case "environment":
			var v *string
			if v, err = s.optString(); v != nil {
				p.Environment = *v
			}
		case "recipients":
			p.Recipients, err = s.stringArray()
		case "secrets":
			err = s.secrets(&p)
		case "conflicts":
			err = s.conflicts(&p)
		case "rotate":
			err = s.stringMap(&p.Rotate)
		case "sig":
			err = s.sig(&p)
		default:
			return errUnknownField
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if s.ws(); s.pos != len(s.src) {
		return nil, errSyntax
	}
	return &p, nil
}

func (s *scanner) stringArray() ([]string, error) {
	if s.null() {
		return nil, nil
	}
	if err := s.expect('['); err != nil {
		return nil, err
	}
	out := []string{}
	if s.peek() == ']' {
		s.pos++
		return out, nil
	}
	for {
		v, err := s.optString()
		if err != nil {
			return nil, err
		}
		if v == nil {
			out = append(out, "")
		} else {
			out = append(out, *v)
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return out, nil
		default:
			return nil, errSyntax
		}
	}
}

func (s *scanner) secrets(p *Payload) error {
	if s.null() {
		p.Secrets = nil
		return nil
	}
	if p.Secrets == nil {
		// Size the map from a cheap count of entries: each secret object
		// holds a "value" key.
		p.Secrets = make(map[string]Secret, estimateEntries(s.src[s.pos:]))
	}
	return s.object(func(name string) error {
		var sec Secret
		err := s.object(func(key string) error {
			switch key {
			case "value":
				v, ok, err := s.strOrNull()
				if ok {
					sec.Value = v
				}
				return err
			case "updated":
				return s.timestamp(&sec.Updated)
			}
			return errSyntax
		})
		if err != nil {
			return err
		}
		p.Secrets[name] = sec
		return nil
	})
}

// estimateEntries counts the opening braces ahead: one per secret, plus a
// few (the signature block, a value holding braces). Counting one byte is
// vectorised; counting `"value":` cost 3% of `run` at 10,000 secrets.
func estimateEntries(rest string) int {
	return min(strings.Count(rest, "{"), 1<<20)
}

func (s *scanner) conflicts(p *Payload) error {
	if s.null() {
		p.Conflicts = nil
		return nil
	}
	if p.Conflicts == nil {
		p.Conflicts = map[string]Conflict{}
	}
	return s.object(func(name string) error {
		var c Conflict
		err := s.object(func(key string) error {
			v, err := s.optString()
			switch key {
			case "base":
				c.Base = v
			case "ours":
				c.Ours = v
			case "theirs":
				c.Theirs = v
			default:
				return errSyntax
			}
			return err
		})
		if err != nil {
			return err
		}
		p.Conflicts[name] = c
		return nil
	})
}

// stringMap reads an object of strings as encoding/json fills a
// map[string]string: a null object clears the map, a null value is "".
func (s *scanner) stringMap(m *map[string]string) error {
	if s.null() {
		*m = nil
		return nil
	}
	if *m == nil {
		*m = map[string]string{}
	}
	return s.object(func(name string) error {
		v, err := s.optString()
		if err != nil {
			return err
		}
		(*m)[name] = ""
		if v != nil {
			(*m)[name] = *v
		}
		return nil
	})
}

// sig reads the signature block: strings and one unsigned integer.
func (s *scanner) sig(p *Payload) error {
	if s.null() {
		p.Sig = nil
		return nil
	}
	var sg trust.Sig
	err := s.object(func(key string) error {
		if key == "seq" {
			n, err := s.unsigned()
			sg.Seq = n
			return err
		}
		v, err := s.optString()
		if err != nil {
			return err
		}
		var dst *string
		switch key {
		case "project":
			dst = &sg.Project
		case "roster":
			dst = &sg.Roster
		case "writer":
			dst = &sg.Writer
		case "key":
			dst = &sg.Key
		case "sig":
			dst = &sg.Sig
		default:
			return errSyntax
		}
		if v != nil {
			*dst = *v
		}
		return nil
	})
	if err != nil {
		return err
	}
	p.Sig = &sg
	return nil
}

// timestamp reads an RFC 3339 time: envsafe's own UTC seconds form on a
// fast path, anything else as time.Time's JSON decoding would.
func (s *scanner) timestamp(t *time.Time) error {
	if s.null() {
		return nil
	}
	start := s.pos
	v, err := s.str()
	if err != nil {
		return err
	}
	if ft, ok := fastTime(v); ok {
		*t = ft
		return nil
	}
	return t.UnmarshalJSON([]byte(s.src[start:s.pos]))
}

// fastTime parses exactly "YYYY-MM-DDTHH:MM:SSZ" with every field in range.
func fastTime(v string) (time.Time, bool) {
	if len(v) != 20 || v[4] != '-' || v[7] != '-' || v[10] != 'T' || v[13] != ':' || v[16] != ':' || v[19] != 'Z' {
		return time.Time{}, false
	}
	num := func(a, b int) (int, bool) {
		n := 0
		for _, c := range []byte(v[a:b]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 7)
	d, ok3 := num(8, 10)
	h, ok4 := num(11, 13)
	mi, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	if d > daysIn(mo, y) {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC), true
}

// daysIn is the number of days of month mo (1-12) of year y, in the
// proleptic Gregorian calendar time.Date uses.
func daysIn(mo, y int) int {
	switch mo {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// appendString appends s as a JSON string the way encoding/json does with
// HTML escaping off: ", \ and control characters escaped, U+2028 and
// U+2029 as \u escapes, everything else as is.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == '\u2028' || r == '\u2029' {
				buf = append(buf, s[start:i]...)
				buf = append(buf, `\u202`...)
				buf = append(buf, "89"[r-'\u2028'])
				i += n
				start = i
				continue
			}
			i += n
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '"', '\\':
			buf = append(buf, '\\', c)
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		case '\b':
			buf = append(buf, '\\', 'b')
		case '\f':
			buf = append(buf, '\\', 'f')
		default:
			buf = append(buf, `\u00`...)
			buf = append(buf, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
		}
		i++
		start = i
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// encode writes the canonical document: fields in a fixed order, secrets and
// conflicts sorted by name, times in UTC to the second.
func (p *Payload) encode(recipients []string) ([]byte, error) {
	names := p.Names()
	size := 96 + len(p.Environment)
	for _, r := range recipients {
		size += len(r) + 3
	}
	for name, sec := range p.Secrets {
		size += len(name) + len(sec.Value) + 48
	}
	buf := make([]byte, 0, size+size/8)
	buf = append(buf, `{"envsafe":`...)
	buf = strconv.AppendInt(buf, int64(versionOf(p)), 10)
	buf = append(buf, `,"environment":`...)
	buf = appendString(buf, p.Environment)
	buf = append(buf, `,"recipients":[`...)
	for i, r := range recipients {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, r)
	}
	buf = append(buf, `],"secrets":{`...)
	for i, name := range names {
		if i > 0 {
			buf = append(buf, ',')
		}
		sec := p.Secrets[name]
		buf = appendString(buf, name)
		buf = append(buf, `:{"value":`...)
		buf = appendString(buf, sec.Value)
		buf = append(buf, `,"updated":"`...)
		t := sec.Updated.UTC().Truncate(time.Second)
		if y := t.Year(); y < 0 || y > 9999 {
			return nil, fmt.Errorf("update time of %s is outside the years 0-9999", name)
		}
		buf = t.AppendFormat(buf, time.RFC3339Nano)
		buf = append(buf, `"}`...)
	}
	buf = append(buf, '}')
	if len(p.Conflicts) > 0 {
		buf = append(buf, `,"conflicts":{`...)
		for i, name := range p.ConflictNames() {
			if i > 0 {
				buf = append(buf, ',')
			}
			c := p.Conflicts[name]
			buf = appendString(buf, name)
			buf = append(buf, ':', '{')
			for j, side := range []struct {
				key string
				v   *string
			}{{"base", c.Base}, {"ours", c.Ours}, {"theirs", c.Theirs}} {
				if j > 0 {
					buf = append(buf, ',')
				}
				buf = append(buf, '"')
				buf = append(buf, side.key...)
				buf = append(buf, `":`...)
				if side.v == nil {
					buf = append(buf, "null"...)
				} else {
					buf = appendString(buf, *side.v)
				}
			}
			buf = append(buf, '}')
		}
		buf = append(buf, '}')
	}
	if len(p.Rotate) > 0 {
		buf = append(buf, `,"rotate":{`...)
		for i, name := range p.ToRotate() {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendString(buf, name)
			buf = append(buf, ':')
			buf = appendString(buf, p.Rotate[name])
		}
		buf = append(buf, '}')
	}
	if sg := p.Sig; sg != nil {
		buf = append(buf, `,"sig":{"project":`...)
		buf = appendString(buf, sg.Project)
		buf = append(buf, `,"seq":`...)
		buf = strconv.AppendUint(buf, sg.Seq, 10)
		buf = append(buf, `,"roster":`...)
		buf = appendString(buf, sg.Roster)
		buf = append(buf, `,"writer":`...)
		buf = appendString(buf, sg.Writer)
		buf = append(buf, `,"key":`...)
		buf = appendString(buf, sg.Key)
		buf = append(buf, `,"sig":`...)
		buf = appendString(buf, sg.Sig)
		buf = append(buf, '}')
	}
	return append(buf, '}'), nil
}
