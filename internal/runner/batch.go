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
// put in double quotes, its trailing backslashes doubled (so the closing
// quote stays a quote for the program the script passes it to). cmd.exe
// expands % inside quotes too and ends the command at a line break, so an
// argument (or path) with %, a line break or a NUL is refused. So is one
// with a double quote: no spelling of it keeps cmd.exe's quote state right
// and reaches the program intact (cmd.exe wants "", which Go and other
// programs parsing the Microsoft C way before 2008 read otherwise; \" would
// end cmd.exe's quoting early, leaving what follows to cmd.exe).
// ErrBatchArg names the argument's position, never its text.
func BatchCommandLine(cmdExe, script string, args []string) (string, error) {
	if strings.ContainsAny(script, "%\"\r\n\x00") {
		return "", fmt.Errorf("%s: %w: its path holds %%, a double quote or a line break", script, ErrBatchArg)
	}
	var b strings.Builder
	b.WriteString(`"` + cmdExe + `" /d /e:on /v:off /s /c ""` + script + `"`)
	for i, arg := range args {
		if c := strings.IndexAny(arg, "%\"\r\n\x00"); c >= 0 {
			what := map[byte]string{'%': "a %", '"': `a double quote (")`, '\r': "a line break", '\n': "a line break", 0: "a NUL"}[arg[c]]
			return "", fmt.Errorf("argument %d holds %s, which cmd.exe would expand, cut or misquote: %w (run the program the batch file starts directly, or pass the value through a variable)", i+1, what, ErrBatchArg)
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
	b.WriteString(arg)
	b.WriteString(strings.Repeat(`\`, len(arg)-len(strings.TrimRight(arg, `\`))))
	b.WriteByte('"')
}
