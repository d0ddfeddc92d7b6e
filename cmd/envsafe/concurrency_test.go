package main

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentProcesses starts real envsafe processes at once: 50
// writers on distinct names and 10 on the same name (each value read from
// stdin, as `set NAME` does in a pipe), while readers export the
// environment over and over. No update may be lost, every reader must see
// an intact file, and every process must exit 0 or with a clear error.
// make stress runs 10 rounds.
func TestConcurrentProcesses(t *testing.T) {
	distinct := count(t, "ENVSAFE_DISTINCT_WRITERS", 50)
	same := count(t, "ENVSAFE_SAME_WRITERS", 10)
	rounds := map[bool]int{true: 10, false: 1}[stress()]
	var total concurrencyStats
	for range rounds {
		st := concurrencyRound(t, distinct, same)
		total.failed += st.failed
		total.reads += st.reads
		total.failedReads += st.failedReads
		total.wall = max(total.wall, st.wall)
		total.slowest = max(total.slowest, st.slowest)
	}
	figure(t, "concurrency.rounds", rounds)
	figure(t, "concurrency.distinct_writers", distinct)
	figure(t, "concurrency.same_name_writers", same)
	figure(t, "concurrency.failed_writers", total.failed)
	figure(t, "concurrency.reads", total.reads)
	figure(t, "concurrency.failed_reads", total.failedReads)
	figure(t, "concurrency.max_wall", total.wall.Round(time.Millisecond))
	figure(t, "concurrency.slowest_writer", total.slowest.Round(time.Millisecond))
}

type concurrencyStats struct {
	failed             int
	reads, failedReads int64
	wall, slowest      time.Duration
}

func concurrencyRound(t *testing.T, distinct, same int) concurrencyStats {
	t.Helper()
	s := newSandbox(t)
	s.withIdentity()
	s.must(nil, "init", "--name", "alice")
	s.must(nil, "set", "BEFORE=kept")

	type writer struct {
		name, value string
		cmd         *exec.Cmd
		stderr      *bytes.Buffer
		err         error
		took        time.Duration
	}
	var writers []*writer
	for i := range distinct {
		writers = append(writers, &writer{name: fmt.Sprintf("W%02d", i), value: fmt.Sprintf("distinct value %d", i)})
	}
	for i := range same {
		writers = append(writers, &writer{name: "SAME", value: fmt.Sprintf("same-name value %d", i)})
	}
	for _, w := range writers {
		w.cmd, _, w.stderr = s.command(strings.NewReader(w.value), "set", w.name)
	}

	// Readers run until the writers are done.
	var stop atomic.Bool
	var reads, readFailures atomic.Int64
	var readerWG sync.WaitGroup
	var firstFailure atomic.Value
	const readers = 4
	for range readers {
		readerWG.Add(1)
		go func() {
			defer readerWG.Done()
			for !stop.Load() {
				cmd, _, stderr := s.command(nil, "export", "--format", "json")
				if err := cmd.Run(); err != nil {
					readFailures.Add(1)
					firstFailure.CompareAndSwap(nil, fmt.Sprintf("%v: %s", err, stderr))
				}
				reads.Add(1)
			}
		}()
	}

	start := time.Now()
	var wg sync.WaitGroup
	for _, w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			begin := time.Now()
			w.err = w.cmd.Run()
			w.took = time.Since(begin)
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	stop.Store(true)
	readerWG.Wait()

	var failed int
	var slowest time.Duration
	for _, w := range writers {
		slowest = max(slowest, w.took)
		if w.err == nil {
			continue
		}
		var exit *exec.ExitError
		if !errors.As(w.err, &exit) {
			t.Fatalf("set %s: %v", w.name, w.err)
		}
		// A clear error: envsafe's own message, with what to do.
		failed++
		if !strings.HasPrefix(w.stderr.String(), "envsafe: error: ") || !strings.Contains(w.stderr.String(), "envsafe: hint: ") {
			t.Errorf("set %s failed without a clear error: exit %d\n%s", w.name, exit.ExitCode(), w.stderr)
		}
	}
	if f := firstFailure.Load(); f != nil {
		t.Errorf("%d of %d reads during the writes failed; first: %s", readFailures.Load(), reads.Load(), f)
	}

	got, r := s.secrets("development")
	if got == nil {
		t.Fatalf("the environment does not decrypt after the writers: %s", r)
	}
	if got["BEFORE"] != "kept" {
		t.Error("a secret set before the writers was lost")
	}
	var sameValues []string
	for _, w := range writers {
		if w.err != nil {
			continue
		}
		if w.name == "SAME" {
			sameValues = append(sameValues, w.value)
			continue
		}
		if got[w.name] != w.value {
			t.Errorf("lost update: %s = %q, want %q", w.name, got[w.name], w.value)
		}
	}
	if len(sameValues) > 0 && !slices.Contains(sameValues, got["SAME"]) {
		t.Errorf("SAME = %q, which none of its writers wrote", got["SAME"])
	}
	if want := 1 + distinct + min(1, len(sameValues)); len(got) != want {
		t.Errorf("%d secrets, want %d", len(got), want)
	}
	t.Logf("%d writers on distinct names and %d on one name, 4 readers exporting %d times meanwhile: %d writers failed (clearly), %d of %d reads failed; all done in %s, slowest writer %s",
		distinct, same, reads.Load(), failed, readFailures.Load(), reads.Load(), wall.Round(time.Millisecond), slowest.Round(time.Millisecond))
	return concurrencyStats{failed: failed, reads: reads.Load(), failedReads: readFailures.Load(), wall: wall, slowest: slowest}
}
