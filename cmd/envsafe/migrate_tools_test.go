package main

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// dotenvxDir pins, in package.json and package-lock.json, the dotenvx
// release migrate_dotenvx.txtar makes its fixtures with; node_modules is
// gitignored.
const dotenvxDir = "testdata/dotenvx"

// installDotenvx returns the dotenvx CLI, installed with `npm ci` unless it
// is there already, or "" when npm or the registry is out of reach (the
// script then skips). ENVSAFE_REQUIRE_NPM=1 turns that into a failure.
func installDotenvx(t *testing.T) string {
	t.Helper()
	bin, err := filepath.Abs(filepath.Join(dotenvxDir, "node_modules", ".bin", "dotenvx"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	fail := func(format string, args ...any) string {
		if os.Getenv("ENVSAFE_REQUIRE_NPM") == "1" {
			t.Fatalf(format+" (ENVSAFE_REQUIRE_NPM=1)", args...)
		}
		t.Logf(format+"; the dotenvx scripts skip", args...)
		return ""
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fail("npm not found")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = dotenvxDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fail("npm ci in %s: %v\n%s", dotenvxDir, err, out)
	}
	if _, err := os.Stat(bin); err != nil {
		return fail("npm ci did not install dotenvx: %v", err)
	}
	return bin
}

// noplaintext DIR MARKERS PROG [ARG...] runs PROG while polling every file
// under DIR, and fails if a file appeared that is not an envsafe
// environment file, its temporary file or lock, or envsafe's own state in
// home/, or if any new or changed file ever held one of the lines of
// MARKERS (plaintext values). Polling, not inotify: it sees what stays
// for a millisecond; the final state is checked as well. With !, PROG
// must succeed and the watcher must see plaintext (its own test).
func cmdNoPlaintext(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 {
		ts.Fatalf("usage: [!] noplaintext DIR MARKERS PROG [ARG...]")
	}
	dir := ts.MkAbs(args[0])
	var markers []string
	for _, l := range strings.Split(ts.ReadFile(args[1]), "\n") {
		if l != "" {
			markers = append(markers, l)
		}
	}
	allowed := regexp.MustCompile(`(^|/)\.envsafe/([^/]+\.age|\.lock|\.[^/]+\.tmp-[^/]*)$|^home/`)
	snapshot := func() map[string]string {
		files := map[string]string{}
		filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return nil // gone between the listing and the read
			}
			rel, _ := filepath.Rel(dir, p)
			files[filepath.ToSlash(rel)] = string(data)
			return nil
		})
		return files
	}
	before := snapshot()
	var mu sync.Mutex
	var problems []string
	seen := map[string]bool{}
	problem := func(p string) {
		if !seen[p] {
			seen[p] = true
			problems = append(problems, p)
		}
	}
	check := func(now map[string]string) {
		mu.Lock()
		defer mu.Unlock()
		for p, content := range now {
			if old, ok := before[p]; ok && old == content {
				continue
			}
			if _, existed := before[p]; !existed && !allowed.MatchString(p) {
				problem(p + ": a new file")
			}
			for _, m := range markers {
				if strings.Contains(content, m) {
					problem(p + ": holds a plaintext value")
				}
			}
		}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
				check(snapshot())
				time.Sleep(time.Millisecond)
			}
		}
	}()
	err := ts.Exec(args[2], args[3:]...)
	close(done)
	wg.Wait()
	check(snapshot())
	ts.Check(err)
	if neg {
		// The watcher's own test: a command that does write plaintext.
		if len(problems) == 0 {
			ts.Fatalf("no plaintext seen during %s", args[2])
		}
		return
	}
	if len(problems) > 0 {
		ts.Fatalf("plaintext on disk during %s:\n%s", args[2], strings.Join(problems, "\n"))
	}
}

// dropline FILE PREFIX removes the lines of FILE that start with PREFIX.
func cmdDropLine(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: dropline FILE PREFIX")
	}
	var keep []string
	lines := strings.Split(ts.ReadFile(args[0]), "\n")
	for _, l := range lines {
		if !strings.HasPrefix(l, args[1]) {
			keep = append(keep, l)
		}
	}
	if len(keep) == len(lines) {
		ts.Fatalf("no line of %s starts with %s", args[0], args[1])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(strings.Join(keep, "\n")), 0o644))
}
