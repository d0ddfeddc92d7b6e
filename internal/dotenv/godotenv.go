package dotenv

import (
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/joho/godotenv"
)

// Reasons of a ParseError from ParseGodotenv, in addition to the shared ones.
const (
	reasonGodotenvName   = "godotenv: invalid character in a variable name, or a line without '='"
	reasonGodotenvFailed = "godotenv could not parse the file"
)

// ParseGodotenv reads a .env file the way github.com/joho/godotenv v1.5.1
// does, for files written for Go programs that rely on its `${VAR}` and
// `$VAR` expansion (a reference to a variable not defined earlier in the file
// becomes empty; the process environment is never read). This is the only
// package of envsafe that imports godotenv.
//
// godotenv returns a map, so the result is sorted by name and every Line is 0;
// errors carry no line either. Names and values are held to the same rules as
// Parse (envsafe names, UTF-8, no NUL), and godotenv's own error messages,
// which quote the file, are replaced by fixed reasons. A leading UTF-8 BOM is
// dropped, which godotenv would otherwise read as part of the first name.
func ParseGodotenv(name string, data []byte) (pairs []Pair, err error) {
	src, err := decode(name, data)
	if err != nil {
		return nil, err
	}
	defer func() {
		// A panic inside godotenv must not print the file it was reading.
		if recover() != nil {
			pairs, err = nil, &ParseError{File: name, Reason: reasonGodotenvFailed}
		}
	}()
	vars, err := godotenv.UnmarshalBytes([]byte(src))
	if err != nil {
		return nil, &ParseError{File: name, Reason: godotenvReason(err)}
	}
	for _, n := range slices.Sorted(maps.Keys(vars)) {
		if reason := checkName(n); reason != "" {
			return nil, &ParseError{File: name, Reason: reason}
		}
		v := vars[n]
		if !utf8.ValidString(v) {
			return nil, &ParseError{File: name, Reason: reasonNotUTF8}
		}
		if strings.IndexByte(v, 0) >= 0 {
			return nil, &ParseError{File: name, Reason: reasonNUL}
		}
		pairs = append(pairs, Pair{Name: n, Value: v})
	}
	return pairs, nil
}

// godotenvReason maps a godotenv error, whose text includes the rest of the
// offending line, to a fixed reason.
func godotenvReason(err error) string {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "unexpected character"):
		return reasonGodotenvName
	case strings.HasPrefix(msg, "unterminated quoted value"):
		return reasonUnterminated
	case strings.HasPrefix(msg, "zero length string"):
		return reasonNoName
	}
	return reasonGodotenvFailed
}
