package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/envsafe/envsafe/internal/figures"
)

// This file holds what the process-level tests (crash, concurrency,
// keychain faults, leaks, memory hygiene) share: running the real envsafe
// binary — the test binary testscript put on PATH, which runs main's run()
// when called "envsafe" — with a controlled environment.

// envsafeBinary is the real binary on PATH.
func envsafeBinary(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("envsafe")
	if err != nil {
		t.Fatalf("envsafe is not on PATH (testscript.Main installs it): %v", err)
	}
	return bin
}

// stress reports whether the long forms run (`make stress`).
func stress() bool { return os.Getenv("ENVSAFE_STRESS") == "1" }

// count returns the integer in the environment variable name, or def.
func count(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q is not a positive number", name, v)
	}
	return n
}

// figure records a measured number for SECURITY.md (see internal/figures).
func figure(t *testing.T, name string, value any) { t.Helper(); figures.Record(t, name, value) }

// canary returns a value that cannot occur by chance, to search for.
func canary(t *testing.T, label string) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	return "CANARY-" + label + "-" + hex.EncodeToString(b)
}

// sandbox is a project folder and HOME for running envsafe processes with
// an environment the test controls entirely: nothing leaks in from the
// developer's session (no keychain bus unless asked, no git config).
type sandbox struct {
	t    *testing.T
	bin  string
	root string // project root
	home string
	tmp  string // TMPDIR of the processes
	env  []string
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	base := t.TempDir()
	s := &sandbox{t: t, bin: envsafeBinary(t), root: filepath.Join(base, "project"),
		home: filepath.Join(base, "home"), tmp: filepath.Join(base, "tmp")}
	for _, d := range []string{s.root, s.home, s.tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + s.home,
		"USER=tester",
		"TMPDIR=" + s.tmp,
		"XDG_RUNTIME_DIR=" + filepath.Join(base, "no-runtime-dir"),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Tester", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=Tester", "GIT_COMMITTER_EMAIL=t@example.com",
		"ENVSAFE_KEYCHAIN_TIMEOUT=10s",
	}
	if v := os.Getenv("GORACE"); v != "" {
		s.env = append(s.env, "GORACE="+v) // make race
	}
	return s
}

// withIdentity creates an age identity and hands it to every process
// through ENVSAFE_IDENTITY, as CI does; it returns the secret key text.
func (s *sandbox) withIdentity() string {
	s.t.Helper()
	key := filepath.Join(s.t.TempDir(), "key.txt")
	r := s.run(nil, "identity", "new", "--file", key)
	if r.code != 0 {
		s.t.Fatalf("identity new --file: %s", r)
	}
	text, err := os.ReadFile(key)
	if err != nil {
		s.t.Fatal(err)
	}
	s.setenv("ENVSAFE_IDENTITY", string(text))
	return string(text)
}

func (s *sandbox) setenv(name, value string) {
	for i, kv := range s.env {
		if strings.HasPrefix(kv, name+"=") {
			s.env[i] = name + "=" + value
			return
		}
	}
	s.env = append(s.env, name+"="+value)
}

func (s *sandbox) unsetenv(name string) {
	kept := s.env[:0]
	for _, kv := range s.env {
		if !strings.HasPrefix(kv, name+"=") {
			kept = append(kept, kv)
		}
	}
	s.env = kept
}

// result is what one envsafe process did.
type result struct {
	args           []string
	code           int
	stdout, stderr string
	took           time.Duration
	// pid is the envsafe process's, which names what it keeps in /dev/shm.
	pid int
}

func (r result) String() string {
	return fmt.Sprintf("envsafe %s: exit %d after %s\nstdout: %s\nstderr: %s",
		strings.Join(r.args, " "), r.code, r.took.Round(time.Millisecond), r.stdout, r.stderr)
}

// command prepares envsafe args in the project, with stdin (may be nil).
func (s *sandbox) command(stdin io.Reader, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.root
	cmd.Env = s.env
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

// run runs envsafe to completion.
func (s *sandbox) run(stdin io.Reader, args ...string) result {
	s.t.Helper()
	cmd, stdout, stderr := s.command(stdin, args...)
	start := time.Now()
	err := cmd.Run()
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	if cmd.Process != nil {
		r.pid = cmd.Process.Pid
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		s.t.Fatalf("envsafe %s: %v", strings.Join(args, " "), err)
	}
	return r
}

func (s *sandbox) must(stdin io.Reader, args ...string) result {
	s.t.Helper()
	r := s.run(stdin, args...)
	if r.code != 0 {
		s.t.Fatalf("%s", r)
	}
	return r
}

// secrets decrypts env through `envsafe export --format json`.
func (s *sandbox) secrets(env string) (map[string]string, result) {
	s.t.Helper()
	r := s.run(nil, "export", "--format", "json", "-e", env)
	if r.code != 0 {
		return nil, r
	}
	m := map[string]string{}
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		s.t.Fatalf("export --format json printed something else: %v\n%s", err, r.stdout)
	}
	return m, r
}

// tempFiles lists envsafe's temporary files left in .envsafe.
func (s *sandbox) tempFiles() []string {
	matches, _ := filepath.Glob(filepath.Join(s.root, ".envsafe", ".*.tmp-*"))
	return matches
}
