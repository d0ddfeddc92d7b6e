package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/envsafe/envsafe/internal/commands"
	"github.com/envsafe/envsafe/internal/keychain"
)

// TestTamperSampleThroughBinary repeats a random sample of the tamper sweep
// (internal/commands/tamper_test.go, which classifies every outcome in-process)
// through the real binary: for each damaged file the process must exit
// exactly as the in-process run does, 5 (damaged) or 3 (one's own stanza
// damaged), print nothing on stdout and no secret on stderr.
func TestTamperSampleThroughBinary(t *testing.T) {
	samples := count(t, "ENVSAFE_TAMPER_SAMPLES", map[bool]int{true: 1000, false: 60}[stress()])
	s := newSandbox(t)
	key := s.withIdentity()
	_, bob := newKey(t, s)
	s.must(nil, "init", "--name", "alice")
	s.must(nil, "member", "add", "bob", bob, "--yes")
	value := canary(t, "tamper")
	s.must(strings.NewReader(value), "set", "API_KEY")
	path := filepath.Join(s.root, ".envsafe", "development.age")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	inProcess := func() (int, string, string) {
		var stdout, stderr bytes.Buffer
		d := &commands.Deps{
			Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
			Keychain: keychain.NewMemory(),
			LookupEnv: func(k string) (string, bool) {
				if k == "ENVSAFE_IDENTITY" {
					return key, true
				}
				return "", false
			},
			Environ: func() []string { return nil }, Now: time.Now, Dir: s.root,
			GitUserName: func() string { return "" }, Version: "test",
		}
		code := commands.Main(context.Background(), []string{"envsafe", "export", "--format", "json"}, d)
		return code, stdout.String(), stderr.String()
	}
	code, intact, errOut := inProcess()
	if code != 0 {
		t.Fatalf("in-process export of the intact file: exit %d %s", code, errOut)
	}

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 2))
	outcomes := map[int]int{}
	for i := range samples {
		m := bytes.Clone(good)
		kind := ""
		switch n := rng.IntN(3); {
		case n == 0:
			pos := rng.IntN(len(m))
			m[pos] ^= 1 << rng.IntN(8)
			kind = "flip"
		case n == 1:
			m[rng.IntN(len(m))] = "A0+/=\n\x00"[rng.IntN(7)]
			kind = "substitute"
		default:
			m = m[:rng.IntN(len(m))]
			kind = "truncate"
		}
		if bytes.Equal(m, good) {
			outcomes[-1]++ // the change changed nothing
			continue
		}
		if err := os.WriteFile(path, m, 0o644); err != nil {
			t.Fatal(err)
		}
		r := s.run(nil, "export", "--format", "json")
		want, wantOut, _ := inProcess()
		if r.code != want || r.stdout != wantOut {
			t.Fatalf("sample %d (%s, seed %d): the binary exits %d, in-process %d\n%s", i, kind, seed, r.code, want, r.stderr)
		}
		if (r.code == 0 && r.stdout != intact) || (r.code != 0 && (r.stdout != "" || (r.code != 3 && r.code != 5))) {
			t.Fatalf("sample %d (%s, seed %d): %s", i, kind, seed, r)
		}
		if strings.Contains(r.stderr, value) {
			t.Fatalf("sample %d: a secret on stderr", i)
		}
		outcomes[r.code]++
	}
	t.Logf("%d damaged files through the binary (seed %d): exit statuses %v (-1: the change changed nothing)", samples, seed, outcomes)
	figure(t, "tamper.binary.samples", samples)
	figure(t, "tamper.binary.exit5", outcomes[5])
	figure(t, "tamper.binary.exit3", outcomes[3])
	figure(t, "tamper.binary.exit0same", outcomes[0])
	figure(t, "tamper.binary.unchanged", outcomes[-1])
}
