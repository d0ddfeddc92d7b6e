package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func TestDefaultDirFollowsThePlatform(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	cases := []struct {
		goos string
		env  func(string) string
		want string
	}{
		{"linux", env("HOME", "/home/a"), "/home/a/.local/state/envsafe"},
		{"linux", env("HOME", "/home/a", "XDG_STATE_HOME", "/x/state"), "/x/state/envsafe"},
		{"linux", env("HOME", "/home/a", "XDG_STATE_HOME", "relative"), "/home/a/.local/state/envsafe"},
		{"freebsd", env("HOME", "/home/a"), "/home/a/.local/state/envsafe"},
		{"darwin", env("HOME", "/Users/a"), "/Users/a/Library/Logs/envsafe"},
		{"windows", env("LOCALAPPDATA", `C:\Users\a\AppData\Local`), filepath.Join(`C:\Users\a\AppData\Local`, "envsafe")},
	}
	for _, c := range cases {
		got, err := DefaultDir(c.goos, c.env)
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.goos, got, err, c.want)
		}
	}
	if _, err := DefaultDir("linux", env()); err == nil {
		t.Error("no HOME: want an error")
	}
}

func TestAppendCreatesPrivateFileAndParsesBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "envsafe")
	l := New(dir, nil)
	e := NewEntry(t0, "/p/with \"quote\"\n", "production", "run", []string{"B", "A"})
	if err := l.Append(e); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(NewEntry(t0.Add(time.Hour), "/p", "development", "get", []string{"X"})); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(l.Path())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("log file: %v %v", fi, err)
	}
	di, err := os.Stat(dir)
	if err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("log folder: %v %v", di, err)
	}
	entries, skipped, err := l.Read(time.Time{})
	if err != nil || skipped != 0 || len(entries) != 2 {
		t.Fatalf("read %v skipped %d err %v", entries, skipped, err)
	}
	want := Entry{Time: t0, Project: "/p/with \"quote\"\n", Env: "production", Command: "run", Names: []string{"A", "B"}, Count: 2}
	if !reflect.DeepEqual(entries[0], want) {
		t.Fatalf("got %+v\nwant %+v", entries[0], want)
	}
	since, _, _ := l.Read(t0.Add(time.Minute))
	if len(since) != 1 || since[0].Command != "get" {
		t.Fatalf("since filter: %+v", since)
	}
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	for _, project := range []string{"/plain", "tab\there", "bad \xff utf8", "ctl \x01\x7f", `back\slash`, "é✓"} {
		e := NewEntry(t0, project, "dev", "get", []string{"NAME"})
		line := AppendJSON(nil, e)
		if !bytes.HasSuffix(line, []byte("}\n")) || bytes.Count(line, []byte("\n")) != 1 {
			t.Fatalf("not one line: %q", line)
		}
		var back Entry
		if err := json.Unmarshal(line, &back); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if !strings.HasPrefix(project, "bad") && back.Project != project {
			t.Errorf("project %q came back as %q", project, back.Project)
		}
	}
}

func TestNamesAreBoundedButCounted(t *testing.T) {
	var names []string
	for i := range 2000 {
		names = append(names, fmt.Sprintf("SECRET_NUMBER_%04d", i))
	}
	e := NewEntry(t0, "/p", "dev", "run", names)
	if len(e.Names) != 0 || e.Count != 2000 {
		t.Fatalf("names %d count %d", len(e.Names), e.Count)
	}
	if n := len(AppendJSON(nil, e)); n > 4096 {
		t.Fatalf("line of %d bytes", n)
	}
}

func TestRotationKeepsTheLogBounded(t *testing.T) {
	l := New(t.TempDir(), nil)
	e := NewEntry(t0, strings.Repeat("/long/project/path", 50), "dev", "run", []string{"A"})
	lineLen := len(AppendJSON(nil, e))
	n := 2*RotateSize/lineLen + 50
	for range n {
		if err := l.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	cur, err1 := os.Stat(l.Path())
	old, err2 := os.Stat(l.Path() + ".1")
	if err1 != nil || err2 != nil {
		t.Fatalf("%v %v", err1, err2)
	}
	if cur.Size() > RotateSize+int64(lineLen) || old.Size() > RotateSize+int64(lineLen) {
		t.Fatalf("sizes %d and %d exceed the bound", cur.Size(), old.Size())
	}
	entries, skipped, err := l.Read(time.Time{})
	if err != nil || skipped != 0 || len(entries) < RotateSize/lineLen {
		t.Fatalf("after rotation: %d entries, %d skipped, %v", len(entries), skipped, err)
	}
}

func TestConcurrentAppendsNeverInterleave(t *testing.T) {
	l := New(t.TempDir(), nil)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				l.Append(NewEntry(t0, fmt.Sprintf("/p%d", w), "dev", "get", []string{fmt.Sprintf("N%d", i)}))
			}
		}()
	}
	wg.Wait()
	entries, skipped, err := l.Read(time.Time{})
	if err != nil || skipped != 0 || len(entries) != 400 {
		t.Fatalf("%d entries, %d skipped, %v", len(entries), skipped, err)
	}
}

func TestUnknownLocationFailsEveryAppend(t *testing.T) {
	l := New(DefaultDir("linux", func(string) string { return "" }))
	if err := l.Append(NewEntry(t0, "/p", "dev", "get", nil)); err == nil {
		t.Fatal("want an error")
	}
}

func TestReadSkipsDamagedLines(t *testing.T) {
	l := New(t.TempDir(), nil)
	l.Append(NewEntry(t0, "/p", "dev", "get", []string{"A"}))
	f, _ := os.OpenFile(l.Path(), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("{\"time\":\"2026-11-27T10:00:00Z\",\"proj\n")
	f.Close()
	l.Append(NewEntry(t0, "/p", "dev", "get", []string{"B"}))
	entries, skipped, err := l.Read(time.Time{})
	if err != nil || skipped != 1 || len(entries) != 2 {
		t.Fatalf("%v skipped %d err %v", entries, skipped, err)
	}
}

func FuzzParseLine(f *testing.F) {
	f.Add(AppendJSON(nil, NewEntry(t0, "/p", "dev", "get", []string{"A"})))
	f.Add([]byte(`{"time":"x"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		e, ok := ParseLine(line)
		if !ok {
			return
		}
		// What parses writes back to a line that parses the same.
		back, ok := ParseLine(AppendJSON(nil, e))
		if !ok || !back.Time.Equal(e.Time.Truncate(time.Second)) || back.Project != e.Project ||
			back.Env != e.Env || back.Command != e.Command || !slices.Equal(back.Names, e.Names) {
			t.Fatalf("%q does not round trip: %+v", line, back)
		}
	})
}
