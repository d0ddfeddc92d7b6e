//go:build unix

package main

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKilledWritesLeaveOldOrNewState SIGKILLs `envsafe set` at random
// moments, over and over (20 times in make test; ENVSAFE_CRASH_KILLS, 300
// in make stress). After every kill the environment must decrypt, to
// exactly the state before that command or exactly the state after it,
// and the lock the dead process held must be free at once (the kernel
// drops an flock with its holder): the test measures how long the next
// writer would wait and runs it.
func TestKilledWritesLeaveOldOrNewState(t *testing.T) {
	kills := count(t, "ENVSAFE_CRASH_KILLS", map[bool]int{true: 300, false: 20}[stress()])
	s := newSandbox(t)
	s.withIdentity()
	s.must(nil, "init", "--name", "alice")
	// A few hundred secrets make each write take long enough to be hit.
	var env strings.Builder
	for i := range 300 {
		fmt.Fprintf(&env, "BULK_%03d=%s\n", i, strings.Repeat("x", 64))
	}
	dotenv := filepath.Join(t.TempDir(), "bulk.env")
	if err := os.WriteFile(dotenv, []byte(env.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	s.must(nil, "import", dotenv)
	state, r := s.secrets("development")
	if state == nil {
		t.Fatalf("%s", r)
	}

	// How long a set takes from start to exit, to spread the kills over.
	var span time.Duration
	for i := range 3 {
		r := s.must(nil, "set", fmt.Sprintf("WARMUP=%d", i))
		span = max(span, r.took)
		state["WARMUP"] = fmt.Sprint(i)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var (
		oldState, newState, finished int
		maxLockWait, maxNext         time.Duration
		tempLeft, midWrite           int
	)
	// Loop until that many processes were killed mid-way (a kill that
	// comes after the process finished does not count).
	i := 0
	for ; oldState+newState-finished < kills; i++ {
		if i > 5*kills {
			t.Fatalf("only %d of %d kills landed before the process finished", oldState+newState-finished, i)
		}
		a, b := fmt.Sprintf("a-%d-%d", i, rng.Int()), fmt.Sprintf("b-%d-%d", i, rng.Int())
		want := maps.Clone(state)
		want["CRASH_A"], want["CRASH_B"] = a, b
		cmd, _, stderr := s.command(nil, "set", "CRASH_A="+a, "CRASH_B="+b)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(span))))
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if err == nil {
			finished++
		} else if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("kill %d: envsafe failed on its own: %v\n%s", i, err, stderr)
		}

		wait := lockWait(t, filepath.Join(s.root, ".envsafe", ".lock"))
		maxLockWait = max(maxLockWait, wait)
		got, r := s.secrets("development")
		if got == nil {
			t.Fatalf("kill %d: the environment no longer decrypts:\n%s", i, r)
		}
		switch {
		case maps.Equal(got, state):
			oldState++
		case maps.Equal(got, want):
			newState++
			state = want
		default:
			t.Fatalf("kill %d: the environment is neither the old nor the new state: CRASH_A=%q CRASH_B=%q, %d secrets (old had %d)",
				i, got["CRASH_A"], got["CRASH_B"], len(got), len(state))
		}
		if len(s.tempFiles()) > 0 {
			midWrite++ // killed between writing the new file and renaming it
		}
		// The next writer goes straight through.
		next := s.run(nil, "set", fmt.Sprintf("AFTER=%d", i))
		if next.code != 0 {
			t.Fatalf("kill %d: the next writer failed: %s", i, next)
		}
		state["AFTER"] = fmt.Sprint(i)
		maxNext = max(maxNext, next.took)
		tempLeft = len(s.tempFiles())
	}
	t.Logf("%d kills (%d tries, %d finished first) over a %s write: %d left the old state, %d the new; max lock wait after a kill %s; max next set %s; %d kills left a temporary file, %d left after the next write",
		kills, i, finished, span.Round(time.Millisecond), oldState, newState-finished, maxLockWait, maxNext.Round(time.Millisecond), midWrite, tempLeft)
	if maxLockWait > 2*time.Second {
		t.Errorf("a killed writer's lock blocked the next one for %s", maxLockWait)
	}
	if tempLeft != 0 {
		t.Errorf("%d temporary files of killed writers are still in .envsafe", tempLeft)
	}
	figure(t, "crash.kills", kills)
	figure(t, "crash.old_state", oldState)
	figure(t, "crash.new_state", newState-finished)
	figure(t, "crash.tries", i)
	figure(t, "crash.killed_mid_write", midWrite)
	figure(t, "crash.max_lock_wait", maxLockWait)
	figure(t, "crash.max_next_set", maxNext.Round(time.Millisecond))
	figure(t, "crash.write_span", span.Round(time.Millisecond))
}

// lockWait measures how long until the project lock can be taken, as the
// next writer would take it (flock(2), what gofrs/flock uses on Unix).
func lockWait(t *testing.T, path string) time.Duration {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	start := time.Now()
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			return time.Since(start)
		}
		if time.Since(start) > 15*time.Second {
			t.Fatalf("the lock is still held 15s after its holder was killed")
		}
		time.Sleep(time.Millisecond)
	}
}
