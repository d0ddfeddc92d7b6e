package dotenv

import (
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Reasons of an UnwritableError.
const (
	reasonWriteDuplicate = "duplicate name"
	reasonWriteNoQuoting = "no dotenv quoting can carry this value"
)

// UnwritableError is returned by Write when some variables cannot be written
// as dotenv text that reads back to the same values. It names the variables,
// never their values, so that the user can see what to change.
type UnwritableError struct {
	Vars []Unwritable // in the order given to Write
}

// Unwritable is one variable refused by Write, with why, in words that
// describe no part of the value.
type Unwritable struct {
	Name   string
	Reason string
}

// Error lists every refused variable, so that one run shows all of them.
func (e *UnwritableError) Error() string {
	var b strings.Builder
	b.WriteString("cannot write as dotenv: ")
	for i, v := range e.Vars {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteName(v.Name))
		b.WriteString(" (")
		b.WriteString(v.Reason)
		b.WriteString(")")
	}
	return b.String()
}

// Names returns the refused names, for callers that report them differently.
func (e *UnwritableError) Names() []string {
	names := make([]string, len(e.Vars))
	for i, v := range e.Vars {
		names[i] = v.Name
	}
	return names
}

// Write writes pairs as dotenv text, one NAME=value line each, that Parse and
// npm dotenv both read back to exactly the same names and values. Each value
// gets the plainest form that carries it:
//
//   - unquoted when npm reads it verbatim: no '#', no line break, no quote
//     first and no space at either end;
//   - otherwise in single quotes, taken literally by npm;
//   - otherwise, or first when the value has line breaks, in double quotes,
//     where a line feed is written as \n and a carriage return as \r (a raw CR
//     would become LF when read back);
//   - otherwise in backticks.
//
// npm dotenv has no escape for a quote inside quotes, so some values that
// need quoting cannot be written: one holding all three kinds of quote, one
// ending in a backslash (whether npm then reads `\"` as the end of the value
// depends on the lines after it), and one holding a carriage return that
// double quotes cannot carry (because of a `"`, or a literal `\n` or `\r`, in
// it). Such values, invalid names (including __proto__, which npm drops),
// values that are not UTF-8 or contain NUL, and repeated names are all
// reported in one *UnwritableError, and then nothing is written.
func Write(w io.Writer, pairs []Pair) error {
	var refused []Unwritable
	var b strings.Builder
	seen := make(map[string]bool, len(pairs))
	for _, p := range pairs {
		reason := checkNPMName(p.Name)
		if reason == "" && seen[p.Name] {
			reason = reasonWriteDuplicate
		}
		seen[p.Name] = true
		text, valueReason := encodeValue(p.Value)
		if reason == "" {
			reason = valueReason
		}
		if reason != "" {
			refused = append(refused, Unwritable{Name: p.Name, Reason: reason})
			continue
		}
		b.WriteString(p.Name)
		b.WriteByte('=')
		b.WriteString(text)
		b.WriteByte('\n')
	}
	if refused != nil {
		return &UnwritableError{Vars: refused}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// encodeValue returns v as it appears after NAME=, or why it cannot.
func encodeValue(v string) (string, string) {
	switch {
	case !utf8.ValidString(v):
		return "", reasonNotUTF8
	case strings.IndexByte(v, 0) >= 0:
		return "", reasonNUL
	case plain(v):
		return v, ""
	}
	order := "'\"`"
	if strings.ContainsAny(v, "\n\r") {
		order = "\"'`"
	}
	for i := 0; i < len(order); i++ {
		if text, ok := quoteWith(v, order[i]); ok {
			return text, ""
		}
	}
	return "", reasonWriteNoQuoting
}

// plain reports whether npm dotenv reads v unquoted as exactly v: it cuts an
// unquoted value at '#', trims spaces and strips matching outer quotes.
func plain(v string) bool {
	if v == "" {
		return true
	}
	first, _ := utf8.DecodeRuneInString(v)
	last, _ := utf8.DecodeLastRuneInString(v)
	return !isQuote(v[0]) && !isSpace(first) && !isSpace(last) &&
		!strings.ContainsAny(v, "#\n\r\u2028\u2029")
}

// quoteWith quotes v with q if npm dotenv and Parse read it back unchanged.
// Inside quotes npm ends the value at the first quote of the same kind and
// honours no escape but \n and \r inside double quotes.
func quoteWith(v string, q byte) (string, bool) {
	if strings.IndexByte(v, q) >= 0 || strings.HasSuffix(v, `\`) {
		return "", false
	}
	if q == '"' {
		// A literal \n or \r in the value would be read back as a line break.
		if strings.Contains(v, `\n`) || strings.Contains(v, `\r`) {
			return "", false
		}
		v = strings.ReplaceAll(v, "\n", `\n`)
		v = strings.ReplaceAll(v, "\r", `\r`)
	} else if strings.IndexByte(v, '\r') >= 0 {
		// npm turns every CR into LF before parsing, even inside quotes.
		return "", false
	}
	return string(q) + v + string(q), true
}

// quoteName shows a refused name so that control characters in an invalid
// name cannot garble the terminal.
func quoteName(name string) string {
	if checkName(name) == "" {
		return name
	}
	return strconv.Quote(name)
}
