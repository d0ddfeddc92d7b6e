// Package shellquote turns a string into one word a POSIX shell reads back
// unchanged. It is envsafe's only shell quoting, used wherever a path or a
// value ends up in text a shell runs: the pre-commit hook and the drivers
// git setup writes into git config (git hands those to sh).
package shellquote

import "strings"

// Quote returns s as a single sh word: wrapped in single quotes, inside
// which POSIX shells (sh, dash, bash, zsh) take every byte literally, so
// spaces, $, backticks, backslashes and newlines need nothing more. A
// single quote cannot appear inside them, so each one closes the quotes,
// adds an escaped quote (\') and reopens them. Every word is quoted, even a
// plain one, so what a command line means never depends on which
// characters a path happens to hold. No shell word can carry a NUL byte;
// s must not contain one (paths and environment values never do).
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
