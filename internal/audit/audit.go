// Package audit keeps the local audit log: one JSON line per decryption of
// an environment by an envsafe command, with the time, the project, the
// environment, the command and the secret names it touched — never a value.
//
// Appending is on the path of `envsafe run`, so it is one open, one write
// and one close (plus an fstat to decide on rotation): no reflection, no
// directory listing. A line is written with a single write to a file opened
// with O_APPEND, so concurrent envsafe processes never interleave lines.
package audit

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// FileName is the log's name inside its folder; the previous generation is
// FileName + ".1".
const FileName = "audit.log"

// RotateSize is the size past which the log is moved to audit.log.1
// (replacing the generation before), so the log never takes more than
// about twice this.
const RotateSize = 1 << 20

// MaxNamesBytes bounds the names listed in one line (3 bytes of quoting
// and comma counted per name), so a line stays a few kilobytes whatever the
// environment; Entry.Count always says how many there were.
const MaxNamesBytes = 3 << 10

// Entry is one line of the log.
type Entry struct {
	Time    time.Time `json:"time"`
	Project string    `json:"project"`
	Env     string    `json:"env"`
	Command string    `json:"command"`
	// Names are the secrets the command read (sorted), unless there were
	// too many to list: then Names is empty and Count still tells.
	Names []string `json:"names"`
	Count int      `json:"count"`
}

// DefaultDir is where the log lives: $XDG_STATE_HOME/envsafe on every OS
// when that is set; otherwise ~/.local/state/envsafe on Linux and other
// Unix systems, ~/Library/Logs/envsafe on macOS and
// %LOCALAPPDATA%\envsafe on Windows.
func DefaultDir(goos string, getenv func(string) string) (string, error) {
	if x := getenv("XDG_STATE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "envsafe"), nil
	}
	switch goos {
	case "windows":
		if d := getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, "envsafe"), nil
		}
		if h := getenv("USERPROFILE"); h != "" {
			return filepath.Join(h, "AppData", "Local", "envsafe"), nil
		}
		return "", errors.New("neither LOCALAPPDATA nor USERPROFILE is set")
	case "darwin", "ios":
		if h := getenv("HOME"); h != "" {
			return filepath.Join(h, "Library", "Logs", "envsafe"), nil
		}
	default:
		if h := getenv("HOME"); h != "" {
			return filepath.Join(h, ".local", "state", "envsafe"), nil
		}
	}
	return "", errors.New("HOME is not set")
}

// Log appends to and reads one audit log file.
type Log struct {
	path string
	err  error
	// failed is set by the first FirstFailure, so a command that decrypts
	// many times warns about a broken log once.
	failed atomic.Bool
}

// FirstFailure reports whether this is the first failure the caller
// reports for this log, for warning once per process.
func (l *Log) FirstFailure() bool { return !l.failed.Swap(true) }

// New returns the log at dir/audit.log. A non-nil err (the folder could not
// be worked out) is returned by every Append, so the caller warns once.
// Nothing touches the disk until the first Append.
func New(dir string, err error) *Log {
	if err != nil {
		return &Log{err: err}
	}
	return &Log{path: filepath.Join(dir, FileName)}
}

// Path is the current log file ("" when unknown).
func (l *Log) Path() string { return l.path }

// Append writes e as one line. The folder is created (0700) only when the
// file cannot be opened because it is missing; the file is created 0600.
func (l *Log) Append(e Entry) error {
	if l.err != nil {
		return l.err
	}
	line := AppendJSON(make([]byte, 0, 256+len(e.Project)+16*len(e.Names)), e)
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(l.path), 0o700); err == nil {
			f, err = os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		}
	}
	if err != nil {
		return err
	}
	_, werr := f.Write(line)
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	cerr := f.Close()
	if werr != nil {
		return werr
	}
	if cerr != nil {
		return cerr
	}
	if size > RotateSize {
		l.rotate(size)
	}
	return nil
}

// rotate moves the full log aside, unless another process already did (the
// path then names a new, smaller file, which must not replace the
// generation just rotated).
func (l *Log) rotate(size int64) {
	if fi, err := os.Stat(l.path); err != nil || fi.Size() < size {
		return
	}
	os.Rename(l.path, l.path+".1")
}

// NewEntry builds an entry for names, sorting them and leaving them out
// (keeping the count) when listing them would make the line too long.
// names is not modified.
func NewEntry(now time.Time, project, env, command string, names []string) Entry {
	e := Entry{Time: now, Project: project, Env: env, Command: command, Count: len(names)}
	total := 0
	for _, n := range names {
		total += len(n) + 3
	}
	if total <= MaxNamesBytes {
		e.Names = slices.Clone(names)
		slices.Sort(e.Names)
	}
	return e
}

// AppendJSON appends e to buf as one line of JSON, newline included. It is
// written by hand, without reflection, because it runs before `run` execs.
func AppendJSON(buf []byte, e Entry) []byte {
	buf = append(buf, `{"time":"`...)
	buf = e.Time.UTC().AppendFormat(buf, time.RFC3339)
	buf = append(buf, `","project":`...)
	buf = appendString(buf, e.Project)
	buf = append(buf, `,"env":`...)
	buf = appendString(buf, e.Env)
	buf = append(buf, `,"command":`...)
	buf = appendString(buf, e.Command)
	buf = append(buf, `,"names":[`...)
	for i, n := range e.Names {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, n)
	}
	buf = append(buf, `],"count":`...)
	buf = strconv.AppendInt(buf, int64(e.Count), 10)
	return append(buf, "}\n"...)
}

// appendString writes s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced, so every line parses.
func appendString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				buf = append(buf, '\\', c)
			case c < 0x20 || c == 0x7f:
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				buf = append(buf, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, `\ufffd`...)
		} else {
			buf = append(buf, s[i:i+size]...)
		}
		i += size
	}
	return append(buf, '"')
}

// Read returns the entries of both generations, oldest first, that are at
// or after since (the zero time for all). Lines that do not parse — a
// crash mid-write, a hand edit — are counted in skipped, not fatal.
func (l *Log) Read(since time.Time) (entries []Entry, skipped int, err error) {
	if l.err != nil {
		return nil, 0, l.err
	}
	for _, path := range []string{l.path + ".1", l.path} {
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		es, sk, err := parse(f, since)
		f.Close()
		if err != nil {
			return nil, 0, fmt.Errorf("reading %s: %w", path, err)
		}
		entries, skipped = append(entries, es...), skipped+sk
	}
	return entries, skipped, nil
}

func parse(r io.Reader, since time.Time) ([]Entry, int, error) {
	var entries []Entry
	skipped := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		e, ok := ParseLine(sc.Bytes())
		if !ok {
			skipped++
			continue
		}
		if !e.Time.Before(since) {
			entries = append(entries, e)
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, bufio.ErrTooLong) {
		return nil, 0, err
	}
	return entries, skipped, nil
}

// ParseLine reads one line of the log.
func ParseLine(line []byte) (Entry, bool) {
	var e Entry
	if len(line) == 0 || json.Unmarshal(line, &e) != nil || e.Time.IsZero() || e.Command == "" {
		return Entry{}, false
	}
	return e, true
}
