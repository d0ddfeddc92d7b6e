package scan

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// CommitMarker starts a line that names a commit in the output of
// `git log -p --format=` + CommitFormat; no line of a diff starts with it.
const CommitMarker = "\x01"

// CommitFormat is the --format that makes git log print CommitMarker and
// the full commit hash before each commit's diff.
const CommitFormat = "%x01%H"

// maxChangeSize bounds the added text kept for one file of one commit.
const maxChangeSize = 64 << 20

// Change is one file of a unified diff: the lines it adds, as a Text whose
// Lines are the line numbers in the new version of the file.
type Change struct {
	Text
	// Deleted means the file does not exist after the change (Path is
	// then its old path).
	Deleted bool
	// Binary means git showed no lines ("Binary files ... differ").
	Binary bool
	// Truncated means the added text was longer than kept.
	Truncated bool
}

// ParseDiff reads the output of `git diff -U0` or `git log -p -U0
// --format=%x01%H` (with --src-prefix=a/ --dst-prefix=b/ --no-renames)
// and calls fn once per file, in order.
func ParseDiff(r io.Reader, fn func(Change) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		commit string
		cur    *Change
		inHunk bool
		next   int // line number of the next added or context line
	)
	flush := func() error {
		if cur == nil {
			return nil
		}
		c := *cur
		cur = nil
		if c.Path == "" {
			return nil
		}
		return fn(c)
	}
	for {
		line, err := readLine(br)
		if len(line) == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				return flush()
			}
			return err
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		if inHunk && len(line) > 0 {
			switch line[0] {
			case '+':
				if cur.Truncated || len(cur.Data)+len(line) > maxChangeSize {
					cur.Truncated = true
				} else {
					if len(cur.Lines) > 0 {
						cur.Data = append(cur.Data, '\n')
					}
					cur.Data = append(cur.Data, line[1:]...)
					cur.Lines = append(cur.Lines, next)
				}
				next++
				continue
			case ' ':
				next++
				continue
			case '-', '\\':
				continue
			}
		}
		inHunk = false
		switch {
		case bytes.HasPrefix(line, []byte(CommitMarker)):
			if err := flush(); err != nil {
				return err
			}
			commit = string(bytes.TrimSpace(line[len(CommitMarker):]))
		case bytes.HasPrefix(line, []byte("diff --git ")):
			if err := flush(); err != nil {
				return err
			}
			cur = &Change{Text: Text{Commit: commit, Lines: []int{}}}
			cur.Path = gitHeaderPath(string(line[len("diff --git "):]))
		case cur == nil:
			// text before the first file: commit headers, blank lines
		case bytes.HasPrefix(line, []byte("--- ")):
			if p, ok := diffPath(line[4:], "a/"); ok {
				cur.Path = p // until +++ names the new file
			}
		case bytes.HasPrefix(line, []byte("+++ ")):
			if p, ok := diffPath(line[4:], "b/"); ok {
				cur.Path, cur.Deleted = p, false
			}
		case bytes.HasPrefix(line, []byte("@@ ")):
			n, err := hunkStart(line)
			if err != nil {
				return err
			}
			next, inHunk = n, true
		case bytes.HasPrefix(line, []byte("Binary files ")):
			cur.Binary = true
		case bytes.HasPrefix(line, []byte("deleted file mode ")):
			cur.Deleted = true
		}
	}
}

// gitHeaderPath reads P from "a/P b/P", the header of a file whose diff
// may have no ---/+++ lines (an empty new file, a binary file). Quoted or
// differing names give "", left to the ---/+++ lines.
func gitHeaderPath(rest string) string {
	if len(rest) < 7 || (len(rest)-5)%2 != 0 || !strings.HasPrefix(rest, "a/") {
		return ""
	}
	n := (len(rest) - 5) / 2
	if rest[2+n:5+n] != " b/" || rest[2:2+n] != rest[5+n:] {
		return ""
	}
	return rest[2 : 2+n]
}

// readLine reads one line of any length.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, err
	}
	long := append([]byte(nil), line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		line, err = br.ReadSlice('\n')
		long = append(long, line...)
	}
	return long, err
}

// hunkStart reads the new file's first line from "@@ -a,b +c,d @@".
func hunkStart(line []byte) (int, error) {
	s := string(line)
	i := strings.Index(s, " +")
	if i < 0 {
		return 0, fmt.Errorf("malformed hunk header %.40q", s)
	}
	s = s[i+2:]
	end := strings.IndexAny(s, ", ")
	if end < 0 {
		return 0, fmt.Errorf("malformed hunk header %.40q", line)
	}
	n, err := strconv.Atoi(s[:end])
	if err != nil || n < 0 {
		return 0, fmt.Errorf("malformed hunk header %.40q", line)
	}
	if n == 0 {
		n = 1 // "+0,0": no new lines
	}
	return n, nil
}

// diffPath reads the path of a ---/+++ line: prefix+path, possibly
// C-quoted; /dev/null is no path.
func diffPath(b []byte, prefix string) (string, bool) {
	s := string(b)
	if i := strings.IndexByte(s, '\t'); i >= 0 && !strings.HasPrefix(s, `"`) {
		s = s[:i] // "--- a/x\t(timestamp)" from some diff producers
	}
	if strings.HasPrefix(s, `"`) {
		u, ok := unquoteC(s)
		if !ok {
			return "", false
		}
		s = u
	}
	if s == "/dev/null" {
		return "", false
	}
	p, ok := strings.CutPrefix(s, prefix)
	return p, ok && p != ""
}

// unquoteC undoes git's quoting of unusual path names: "a\tb\303\251".
func unquoteC(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", false
	}
	s = s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i++; i >= len(s) {
			return "", false
		}
		switch c = s[i]; c {
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'v':
			b.WriteByte('\v')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case '"', '\\':
			b.WriteByte(c)
		default:
			if i+2 >= len(s) || c < '0' || c > '3' {
				return "", false
			}
			v, err := strconv.ParseUint(s[i:i+3], 8, 8)
			if err != nil {
				return "", false
			}
			b.WriteByte(byte(v))
			i += 2
		}
	}
	return b.String(), true
}
