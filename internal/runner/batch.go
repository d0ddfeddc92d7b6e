package runner

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// ErrBatchArg is an argument cmd.exe cannot carry to a batch file as it is.
var ErrBatchArg = errors.New("cmd.exe cannot pass this argument to a batch file unchanged")

// IsBatch reports whether Windows would run path through cmd.exe: a .bat or
// .cmd file (npm.cmd, yarn.cmd and most Node tools' shims are).
func IsBatch(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".bat", ".cmd":
		return true
	}
	return false
}

// batchSafe are the ASCII characters an argument may hold and still be
// passed to cmd.exe without quotes; every other ASCII character (& | < > ^
// ( ) , ; = space and the rest) puts the argument in double quotes, where
// cmd.exe reads them literally. This is Rust's list after CVE-2024-24576.
const batchSafe = `#$*+-./:?@\_`

// BatchCommandLine is the command line that runs the batch file script
// with args through cmdExe, such that cmd.exe runs nothing but script and
// hands it every argument as one %N word. Go's os/exec (as of Go 1.26)
// quotes arguments for programs that split their command line the
// Microsoft C way and leaves batch files to the caller: cmd.exe reads
// & | < > ^ outside quotes as commands and expands %NAME% everywhere, so
// `envsafe run -- npm.cmd test a&b` would run b and %API_KEY% would
// become the secret's value (the class of CVE-2024-24576).
//
// The line is `cmd.exe /d /e:on /v:off /s /c ""script" args"`: /d skips
// AutoRun commands, /v:off keeps ! literal, /s makes cmd.exe drop exactly
// the outer quotes. An argument with any character outside batchSafe is
// put in double quotes, an inner " doubled (cmd.exe's quote state then
// stays right) with the backslashes before it doubled, and trailing
// backslashes doubled (so a %~1 in the script does not escape the closing
// quote). cmd.exe expands % inside quotes too and ends the command at a
// line break, so an argument (or path) with %, a line break or a NUL is
// refused: ErrBatchArg names its position, never its text.
func BatchCommandLine(cmdExe, script string, args []string) (string, error) {
	if strings.ContainsAny(script, "%\"\r\n\x00") {
		return "", fmt.Errorf("%s: %w: its path holds %%, a quote or a line break", script, ErrBatchArg)
	}
	var b strings.Builder
	b.WriteString(`"` + cmdExe + `" /d /e:on /v:off /s /c ""` + script + `"`)
	for i, arg := range args {
		if c := strings.IndexAny(arg, "%\r\n\x00"); c >= 0 {
			what := map[byte]string{'%': "a %", '\r': "a line break", '\n': "a line break", 0: "a NUL"}[arg[c]]
			return "", fmt.Errorf("argument %d holds %s, which cmd.exe would expand or cut: %w (run the program the batch file starts directly, or pass the value through a variable)", i+1, what, ErrBatchArg)
		}
		b.WriteByte(' ')
		appendBatchArg(&b, arg)
	}
	b.WriteByte('"')
	return b.String(), nil
}

// appendBatchArg writes one argument, quoted for cmd.exe when it must be.
func appendBatchArg(b *strings.Builder, arg string) {
	quote := arg == "" || strings.HasSuffix(arg, `\`)
	for i := 0; i < len(arg); i++ {
		c := arg[i]
		if c < 0x80 && !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(batchSafe, c) >= 0) {
			quote = true
		}
	}
	if !quote {
		b.WriteString(arg)
		return
	}
	b.WriteByte('"')
	backslashes := 0
	for i := 0; i < len(arg); i++ {
		c := arg[i]
		switch c {
		case '\\':
			backslashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, backslashes))
			b.WriteByte('"')
			backslashes = 0
		default:
			backslashes = 0
		}
		b.WriteByte(c)
	}
	b.WriteString(strings.Repeat(`\`, backslashes))
	b.WriteByte('"')
}
