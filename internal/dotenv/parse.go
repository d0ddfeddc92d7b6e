// Package dotenv parses and writes .env files, so that envsafe can import the
// files projects already have and export files their programs read back the
// same way.
//
// Parse reads the dialect of the npm dotenv package (17.x, the LINE regex of
// lib/main.js), because most .env files are written for it: for every file it
// accepts it returns exactly what dotenv.parse returns, so that moving a
// project to envsafe does not change what its program receives. Where npm
// reads a line differently from how it looks (`PASS=abc#def` is `abc`), the
// Pair carries a Note saying so. Where npm dotenv would silently drop a line
// or garble it beyond recognition, Parse refuses the whole file with a
// *ParseError naming FILE:LINE.
// ParseGodotenv reads files written for github.com/joho/godotenv instead, and
// Write produces text that both Parse and npm dotenv read back unchanged.
//
// No error or note of this package ever contains a value or a line of the
// input: .env files hold secrets, and messages end up in terminals, logs and
// CI output.
package dotenv

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Pair is one variable read from a .env file. Line is the 1-based line of the
// assignment that produced Value, so that callers can point users at it; it
// is 0 when the dialect cannot tell (godotenv).
type Pair struct {
	Name  string
	Value string
	Line  int
	// Note, when not empty, says that npm dotenv reads this assignment
	// differently from how it looks (a '#' glued to an unquoted value, a
	// backslash before a quote inside a quoted one): what npm keeps or cuts,
	// and how to quote the line if the other reading was meant. Value is
	// still npm dotenv's value. Like every message of this package it is
	// built from fixed text and line numbers only, never from the input.
	Note string
}

// Warning formats p's note for file as FILE:LINE: NAME: note, the line
// callers print; it is "" when p has no note.
func (p Pair) Warning(file string) string {
	if p.Note == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d: %s: %s", file, p.Line, p.Name, p.Note)
}

// ParseError is why a .env file was refused. It names the file and line but
// never the content, so it is safe to print: Reason is always one of this
// package's fixed messages.
type ParseError struct {
	File   string
	Line   int // 1-based; 0 when the line is unknown
	Reason string
}

// Error formats the error as FILE:LINE: reason, the form editors and
// terminals turn into a link, or FILE: reason when the line is unknown.
func (e *ParseError) Error() string {
	if e.Line <= 0 {
		return e.File + ": " + e.Reason
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}

// Reasons of a ParseError. They are constants so that no input can leak into
// an error; the tests check every error against this list.
const (
	reasonNotUTF8         = "not valid UTF-8 text (is the file UTF-16 or Latin-1?)"
	reasonNUL             = "NUL byte in the file (is it UTF-16?)"
	reasonLineSeparator   = "Unicode line or paragraph separator (U+2028/U+2029) outside quotes: npm dotenv starts a new line there"
	reasonNoEquals        = "not an assignment: the line has no '='"
	reasonNoName          = "the line does not start with a variable name (is it the rest of a value above? quote multi-line values)"
	reasonBadNameChar     = "invalid character in or after the variable name (npm dotenv names are letters, digits, '_', '.' and '-')"
	reasonProto           = "the name __proto__ is silently ignored by npm dotenv"
	reasonExpectEquals    = "expected '=' (or ': ') right after the variable name"
	reasonUnterminated    = "unterminated quoted value"
	reasonEscapedQuote    = "text after the closing quote (a backslash does not escape a quote for npm dotenv, so the quote after it ends the value)"
	reasonAfterQuote      = "text after the closing quote"
	reasonAfterMultiQuote = "quoted value that starts here is not closed properly: the next matching quote is followed by text"
)

// Notes of a Pair: how npm dotenv reads a line that looks otherwise. They
// say what is kept or cut and how to quote the other reading, never what
// the value is.
const (
	noteHashCut   = "npm dotenv cuts the value at '#', which starts a comment even without a space before it; if the '#' and what follows belong to the value, put the value in single quotes"
	noteHashEmpty = "npm dotenv reads an empty value: the '#' right after '=' starts a comment; if the '#' and what follows are the value, put it in single quotes"
	// noteEscapedQuote is completed with the quote, the kind of quotes, the
	// span of a multi-line value (noteSpan or "") and the quotes to use.
	noteEscapedQuote = "npm dotenv keeps the backslash of every %s in this %s-quoted value%s (it has no escape for quotes); if plain quotes were meant, remove those backslashes and put the value in %s"
	noteSpan         = ", which it ends at the quote on line %d"
)

// Parse reads a .env file in the npm dotenv dialect. name is used only in
// errors. The result keeps the order in which names first appear; a name
// assigned twice takes the later value, line and note, as in npm dotenv,
// where a later assignment overwrites the earlier property (npm never uses
// the earlier value, so its note goes too).
//
// Decisions, where npm dotenv's regex is surprising (see the *_test.go tables
// and testdata/corpus for each case run against the real package):
//
//   - Accepted as npm reads them: `KEY = value` (spaces around '=' and the
//     value are trimmed, with JavaScript's notion of whitespace, which includes
//     U+00A0 and U+FEFF), `KEY=` (empty), `KEY: value` (npm's YAML-like
//     separator: a colon directly after the name, then at least one space),
//     `export KEY=value`, a name called `export`, `KEY="a" # comment`,
//     `KEY="a"#comment`, `KEY=value # comment`, quotes inside an unquoted
//     value (`KEY=it's`), `$` and `${X}` kept verbatim, a trailing backslash in
//     an unquoted value, CRLF and lone CR line endings (npm turns both into
//     LF, also inside quoted values), one leading UTF-8 BOM, multi-line values
//     in any of the three quotes, `\n`/`\r` turned into LF/CR inside double
//     quotes only (so `"C:\new"` holds a newline, as in npm), and every name
//     npm accepts: ASCII letters, digits, '_', '.' and '-' in any order
//     (`app.name`, `MY-KEY`, `1ST`).
//   - Accepted with npm's value and a Note, because the line looks as if it
//     meant something else: a '#' in an unquoted value with no space before
//     it, as in `PASS=abc#123` (npm reads `abc`) or `C=#fff` (empty); a
//     backslash before a quote of the same kind inside a quoted value, as in
//     `"say \"hi\""` (npm keeps the backslashes: `say \"hi\"`). npm closes
//     a quoted value at the first quote without a backslash before it if
//     only spaces or a comment follow that quote on its line; failing that,
//     at the last quote before it that has a backslash before it and is so
//     followed (so `"C:\dir\"` is `C:\dir\`, without a note). Either may be
//     on a later line: the value then runs over the lines between, and its
//     note, if it has one, names the line where it ends.
//   - Refused, because npm drops the line or returns something other than
//     what the file evidently says: a line with no '=' (npm drops it, or reads
//     it as part of the next one, as in `KEY` then `=value`); `KEY:` with no
//     space (npm then takes the whole next line as the value); a line starting
//     with a quote, as after `KEY=` (npm glues it to the line above); a
//     quoted value npm cannot close as above (it then keeps the opening quote
//     in the value): unterminated, or with text after every candidate closing
//     quote, as in `KEY="a"b` or `KEY='a' 'b'` (npm returns `"a"b` and
//     `a' 'b`); the name __proto__ (npm drops it); U+2028 and U+2029 outside
//     quotes (npm's regex starts a new line at them).
//   - Refused because envsafe cannot store them: a NUL byte anywhere, and
//     bytes that are not UTF-8 (npm would turn them into U+FFFD).
func Parse(name string, data []byte) ([]Pair, error) {
	src, err := decode(name, data)
	if err != nil {
		return nil, err
	}
	src = strings.ReplaceAll(src, "\r\n", "\n")
	src = strings.ReplaceAll(src, "\r", "\n")

	p := parser{file: name, src: src, line: 1}
	var pairs []Pair
	index := make(map[string]int)
	for p.pos < len(p.src) {
		pair, ok, err := p.statement()
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if i, dup := index[pair.Name]; dup {
			pairs[i].Value, pairs[i].Line, pairs[i].Note = pair.Value, pair.Line, pair.Note
			continue
		}
		index[pair.Name] = len(pairs)
		pairs = append(pairs, pair)
	}
	return pairs, nil
}

// decode checks what every dialect requires of a file (UTF-8, no NUL) and
// drops a leading byte order mark, which editors on Windows add.
func decode(name string, data []byte) (string, error) {
	if !utf8.Valid(data) {
		bad := 0
		for bad < len(data) {
			r, size := utf8.DecodeRune(data[bad:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			bad += size
		}
		return "", &ParseError{File: name, Line: lineAt(data, bad), Reason: reasonNotUTF8}
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return "", &ParseError{File: name, Line: lineAt(data, i), Reason: reasonNUL}
	}
	return strings.TrimPrefix(string(data), "\uFEFF"), nil
}

// lineAt returns the 1-based line of data[off], counting CRLF, LF and a lone
// CR as one line break each, as npm dotenv does.
func lineAt(data []byte, off int) int {
	line := 1
	for i := 0; i < off; i++ {
		switch data[i] {
		case '\n':
			line++
		case '\r':
			if i+1 >= len(data) || data[i+1] != '\n' {
				line++
			}
		}
	}
	return line
}

// parser walks the normalized text (LF line endings only) one statement at
// a time; a statement is a line, or several when a quoted value spans them.
type parser struct {
	file string
	src  string
	pos  int // start of the current line
	line int // line number of pos
}

func (p *parser) fail(line int, reason string) error {
	return &ParseError{File: p.file, Line: line, Reason: reason}
}

// statement reads the line at p.pos (and the lines a quoted value spans),
// reporting ok=false for blank and comment lines.
func (p *parser) statement() (pair Pair, ok bool, err error) {
	start, line := p.pos, p.line
	eol := p.endOfLine(start)
	text := p.src[start:eol]
	i := skipSpace(text, 0)
	if i == len(text) || text[i] == '#' {
		if hasLineSeparator(text) {
			return Pair{}, false, p.fail(line, reasonLineSeparator)
		}
		p.nextLine(eol)
		return Pair{}, false, nil
	}

	name, j, err := p.nameAndSeparator(text, i, line)
	if err != nil {
		return Pair{}, false, err
	}
	v := skipSpace(text, j)
	if hasLineSeparator(text[:v]) {
		return Pair{}, false, p.fail(line, reasonLineSeparator)
	}
	if v < len(text) && isQuote(text[v]) {
		value, note, err := p.quoted(start+v, line)
		if err != nil {
			return Pair{}, false, err
		}
		return Pair{Name: name, Value: value, Line: line, Note: note}, true, nil
	}

	// Unquoted: npm takes everything up to the first '#' and trims it, with
	// or without a space before the '#'.
	rest := text[j:]
	if hasLineSeparator(rest) {
		return Pair{}, false, p.fail(line, reasonLineSeparator)
	}
	note := ""
	if h := strings.IndexByte(rest, '#'); h >= 0 {
		switch {
		case h == 0:
			note = noteHashEmpty
		case !endsWithSpace(rest[:h]):
			note = noteHashCut
		}
		rest = rest[:h]
	}
	p.nextLine(eol)
	return Pair{Name: name, Value: strings.TrimFunc(rest, isSpace), Line: line, Note: note}, true, nil
}

// nameAndSeparator reads `[export ]NAME=` or `[export ]NAME: ` at text[i:]
// and returns the name and the offset just after the separator.
func (p *parser) nameAndSeparator(text string, i, line int) (string, int, error) {
	// npm's `(?:export\s+)?` is greedy: the prefix applies whenever a name
	// follows it, and `export` is itself the name otherwise (`export=1`).
	if rest, ok := strings.CutPrefix(text[i:], "export"); ok {
		if k := skipSpace(rest, 0); k > 0 && k < len(rest) && isKeyByte(rest[k]) {
			i = len(text) - len(rest) + k
		}
	}
	k := i
	for k < len(text) && isKeyByte(text[k]) {
		k++
	}
	name := text[i:k]
	if name == "" {
		if text[i] != '=' && !isQuote(text[i]) && !strings.Contains(text, "=") {
			return "", 0, p.fail(line, reasonNoEquals)
		}
		return "", 0, p.fail(line, reasonNoName)
	}

	// Separator: npm's `(?:\s*=\s*?|:\s+?)`, kept on this line: its \s also
	// matches newlines, which is how `KEY` + `=value` or `KEY:` + `value` on
	// two lines become one variable.
	sep := -1
	if k+1 < len(text) && text[k] == ':' && skipSpace(text, k+1) > k+1 {
		sep = k + 1
	} else if s := skipSpace(text, k); s < len(text) && text[s] == '=' {
		sep = s + 1
	}
	if sep < 0 {
		switch {
		case !strings.Contains(text, "=") && !strings.Contains(text, ":"):
			return "", 0, p.fail(line, reasonNoEquals)
		case k < len(text) && skipSpace(text, k) == k && text[k] != ':':
			return "", 0, p.fail(line, reasonBadNameChar)
		default:
			return "", 0, p.fail(line, reasonExpectEquals)
		}
	}
	if reason := checkNPMName(name); reason != "" {
		return "", 0, p.fail(line, reason)
	}
	return name, sep, nil
}

// quoted reads the value whose opening quote is at p.src[open], moves past
// the line of the closing quote npm dotenv picks, and returns the value with
// its note.
//
// npm's `"(?:\\"|[^"])*"` followed by `\s*(?:#.*)?$` first runs to the
// first quote not preceded by a backslash (u); if what follows that quote is
// not spaces then a comment or a line end, it backtracks to the quotes that
// are preceded by one, last first, and takes the first whose tail fits. Its
// [^"] also matches line breaks, so any of these may be on a later line.
// When none fits, npm falls back to reading the line unquoted, opening quote
// included: that is refused.
func (p *parser) quoted(open, line int) (value, note string, err error) {
	q := p.src[open]
	first, u := -1, -1 // first quote of kind q after open; first without a backslash
	for i := open + 1; i < len(p.src); i++ {
		if p.src[i] != q {
			continue
		}
		if first < 0 {
			first = i
		}
		if p.src[i-1] != '\\' {
			u = i
			break
		}
	}
	closing := -1
	if u >= 0 && tailOK(p.src, u+1) {
		closing = u
	} else {
		last := u
		if last < 0 {
			last = len(p.src)
		}
		for i := last - 1; i > open+1; i-- {
			if p.src[i] == q && p.src[i-1] == '\\' && tailOK(p.src, i+1) {
				closing = i
				break
			}
		}
	}
	if closing < 0 {
		switch {
		case first < 0:
			return "", "", p.fail(line, reasonUnterminated)
		case strings.Contains(p.src[open:first], "\n"):
			return "", "", p.fail(line, reasonAfterMultiQuote)
		case p.src[first-1] == '\\':
			return "", "", p.fail(line, reasonEscapedQuote)
		}
		return "", "", p.fail(line, reasonAfterQuote)
	}

	content := p.src[open+1 : closing]
	closeLine := line + strings.Count(content, "\n")
	eol := p.endOfLine(closing)
	if hasLineSeparator(p.src[closing+1 : eol]) {
		// npm ends the line there and reads what follows as a new one.
		return "", "", p.fail(closeLine, reasonLineSeparator)
	}
	p.line = closeLine
	p.nextLine(eol)

	if strings.Contains(content, "\\"+string(q)) {
		span := ""
		if closeLine != line {
			span = fmt.Sprintf(noteSpan, closeLine)
		}
		note = escapedQuoteNote(q, span)
	}
	if q == '"' {
		// Exactly npm's two replacements, in its order.
		content = strings.ReplaceAll(content, `\n`, "\n")
		content = strings.ReplaceAll(content, `\r`, "\r")
	}
	return content, note, nil
}

// escapedQuoteNote is noteEscapedQuote for quotes of kind q, suggesting
// quotes npm reads literally and that do not end at q.
func escapedQuoteNote(q byte, span string) string {
	switch q {
	case '"':
		return fmt.Sprintf(noteEscapedQuote, `\"`, "double", span, "single quotes")
	case '\'':
		return fmt.Sprintf(noteEscapedQuote, `\'`, "single", span, "double quotes or backticks")
	}
	return fmt.Sprintf(noteEscapedQuote, "\\`", "backtick", span, "single quotes")
}

// tailOK reports whether npm's `\s*(?:#.*)?$` matches at src[i:]: its \s
// also matches line breaks, and $ matches before LF, U+2028 and U+2029.
func tailOK(src string, i int) bool {
	for i < len(src) {
		r, size := utf8.DecodeRuneInString(src[i:])
		switch {
		case r == '\n' || r == 0x2028 || r == 0x2029:
			return true
		case !isSpace(r):
			return r == '#'
		}
		i += size
	}
	return true
}

func (p *parser) endOfLine(from int) int {
	if i := strings.IndexByte(p.src[from:], '\n'); i >= 0 {
		return from + i
	}
	return len(p.src)
}

func (p *parser) nextLine(eol int) {
	p.pos = eol + 1
	p.line++
}

// checkName returns why name cannot be a variable: npm dotenv's [\w.-]+,
// ASCII only, which is also what envsafe stores (payload.ValidateName).
func checkName(name string) string {
	if name == "" {
		return reasonNoName
	}
	for i := 0; i < len(name); i++ {
		if !isKeyByte(name[i]) {
			return reasonBadNameChar
		}
	}
	return ""
}

// checkNPMName is checkName plus the one valid name npm dotenv loses:
// dotenv.parse stores values in a plain object, where assigning __proto__
// changes nothing.
func checkNPMName(name string) string {
	if name == "__proto__" {
		return reasonProto
	}
	return checkName(name)
}

// isKeyByte matches npm's key class [\w.-]: ASCII only.
func isKeyByte(b byte) bool {
	return b == '_' || b == '.' || b == '-' ||
		'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
}

func isQuote(b byte) bool { return b == '"' || b == '\'' || b == '`' }

// isSpace is JavaScript's \s (what npm's regex and String.prototype.trim
// treat as space) minus the line terminators, which never occur inside a
// line here: LF ends it, CR was normalized, U+2028/U+2029 are refused.
func isSpace(r rune) bool {
	switch r {
	case '\t', '\v', '\f', ' ', 0xA0, 0x1680, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return 0x2000 <= r && r <= 0x200A
}

// skipSpace returns the offset of the first non-space rune of s at or after i.
func skipSpace(s string, i int) int {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isSpace(r) {
			break
		}
		i += size
	}
	return i
}

func endsWithSpace(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return isSpace(r)
}

func hasLineSeparator(s string) bool { return strings.ContainsAny(s, "\u2028\u2029") }
