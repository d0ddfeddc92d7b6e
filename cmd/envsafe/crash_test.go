//go:build unix

package main

import (
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// crashAtVar makes the test binary, started by the test itself with
// -test.run=^TestKilledWritesLeaveOldOrNewState$, run envsafe with a
// seccomp filter that kills it at a named point of its write. It exists only
// in the test binary: the envsafe that users run has no such hook.
const crashAtVar = "ENVSAFE_TEST_CRASH_AT"

// TestKilledWritesLeaveOldOrNewState kills `envsafe set` while it writes.
// After every kill the environment must decrypt, to exactly the state
// before that command or exactly the state after it, the lock the dead
// process held must be free at once (the kernel drops an flock with its
// holder: the test measures how long the next writer would wait), and the
// next write must go through and leave no temporary file behind.
//
// Kills come two ways. On Linux (amd64, arm64) at named points of the
// write that the process reaches for sure: a seccomp filter kills it as it
// creates the temporary file, sets its mode, syncs it, renames it over the
// environment file, and exits; each point has one right outcome. Then at
// random moments (20 in make test; ENVSAFE_CRASH_KILLS, 300 in make
// stress), from a logged seed (ENVSAFE_CRASH_SEED replays it): a process
// that finished before its kill is a completed write and must have left
// the new state.
func TestKilledWritesLeaveOldOrNewState(t *testing.T) {
	if point := os.Getenv(crashAtVar); point != "" {
		crashChild(point) // never returns
	}
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
	t.Run("at_named_points", func(t *testing.T) {
		sub := *s
		sub.t = t
		state = killAtNamedPoints(t, &sub, state)
	})
	t.Run("at_random_moments", func(t *testing.T) {
		sub := *s
		sub.t = t
		killAtRandomMoments(t, &sub, state)
	})
}

// crashPoint is a moment of atomicfile.Write, named by the system call the
// process is killed on (before the call happens).
type crashPoint struct {
	name  string
	calls []string // system calls that kill
	excl  bool     // only an openat with O_EXCL (os.CreateTemp)
	temp  string   // the temporary file left: "none", "empty" or "full"
	state string   // the environment's state: "old" or "new"
}

var crashPoints = []crashPoint{
	{name: "create-temp", calls: []string{"openat"}, excl: true, temp: "none", state: "old"},
	{name: "chmod-temp", calls: []string{"fchmod"}, temp: "empty", state: "old"},
	{name: "sync-temp", calls: []string{"fsync"}, temp: "full", state: "old"},
	{name: "rename", calls: []string{"rename", "renameat", "renameat2"}, temp: "full", state: "old"},
	{name: "exit", calls: []string{"exit_group"}, temp: "none", state: "new"},
}

// sysno holds the system call numbers the filter needs, per GOARCH.
var sysno = map[string]map[string]uint32{
	"amd64": {"arch": 0xc000003e, "prctl": 157, "seccomp": 317, "openat": 257, "fchmod": 91,
		"fsync": 74, "rename": 82, "renameat": 264, "renameat2": 316, "exit_group": 231},
	"arm64": {"arch": 0xc00000b7, "prctl": 167, "seccomp": 277, "openat": 56, "fchmod": 52,
		"fsync": 82, "renameat": 38, "renameat2": 276, "exit_group": 94},
}

// exitNoSeccomp is the crash child's exit status when the kernel refused
// the filter.
const exitNoSeccomp = 97

func killAtNamedPoints(t *testing.T, s *sandbox, state map[string]string) map[string]string {
	if runtime.GOOS != "linux" || sysno[runtime.GOARCH] == nil {
		t.Skipf("named crash points use a seccomp filter: Linux on amd64 or arm64 only, not %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range crashPoints {
		a := fmt.Sprintf("point-%s-%d", p.name, i)
		want := maps.Clone(state)
		want["CRASH_A"] = a
		cmd, _, stderr := s.command(nil)
		cmd.Path = self
		cmd.Args = []string{self, "-test.run=^TestKilledWritesLeaveOldOrNewState$", "--", "set", "CRASH_A=" + a}
		cmd.Env = append(slices.Clip(cmd.Env), crashAtVar+"="+p.name)
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("%s: envsafe was not killed (%v): the write no longer reaches this point\n%s", p.name, err, stderr)
		}
		if exit.ExitCode() == exitNoSeccomp {
			t.Skipf("%s: %s", p.name, strings.TrimSpace(stderr.String()))
		}
		if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGSYS {
			t.Fatalf("%s: envsafe ended with %v before reaching this point\n%s", p.name, err, stderr)
		}

		temps := s.tempFiles()
		var left string
		switch {
		case len(temps) == 0:
			left = "none"
		case len(temps) > 1:
			t.Fatalf("%s: %d temporary files after one killed write: %v", p.name, len(temps), temps)
		default:
			fi, err := os.Stat(temps[0])
			if err != nil {
				t.Fatal(err)
			}
			left = map[bool]string{true: "empty", false: "full"}[fi.Size() == 0]
		}
		if left != p.temp {
			t.Errorf("%s: temporary file left: %s, want %s", p.name, left, p.temp)
		}
		state, _ = checkAfterKill(t, s, p.name, state, want, p.state)
		t.Logf("%s: killed on %s: %s state, temporary file left: %s; the next write went through and left none",
			p.name, strings.Join(p.calls, "/"), p.state, left)
	}
	return state
}

// checkAfterKill checks the state a killed `set` left (exactly old, exactly
// want, or either, as expect says: "old", "new", "either"), that its lock
// is free at once, and that the next writer goes through and leaves no
// temporary file. It returns the state after that next write, and what it
// measured.
func checkAfterKill(t *testing.T, s *sandbox, label string, old, want map[string]string, expect string) (map[string]string, afterKill) {
	t.Helper()
	var m afterKill
	m.lockWait = lockWait(t, filepath.Join(s.root, ".envsafe", ".lock"))
	if m.lockWait > 2*time.Second {
		t.Errorf("%s: the killed writer's lock blocked the next one for %s", label, m.lockWait)
	}
	got, r := s.secrets("development")
	if got == nil {
		t.Fatalf("%s: the environment no longer decrypts:\n%s", label, r)
	}
	state := old
	switch {
	case maps.Equal(got, want) && expect != "old":
		state, m.newState = want, true
	case maps.Equal(got, old) && expect != "new":
	default:
		t.Fatalf("%s: the environment is not the %s state: CRASH_A=%q, %d secrets (old had %d)",
			label, map[string]string{"old": "old", "new": "new", "either": "old or the new"}[expect], got["CRASH_A"], len(got), len(old))
	}
	next := s.run(nil, "set", "AFTER="+label)
	if next.code != 0 {
		t.Fatalf("%s: the next writer failed: %s", label, next)
	}
	m.nextSet = next.took
	if temps := s.tempFiles(); len(temps) != 0 {
		t.Errorf("%s: temporary files still in .envsafe after the next write: %v", label, temps)
	}
	state = maps.Clone(state)
	state["AFTER"] = label
	return state, m
}

// afterKill is what checkAfterKill saw.
type afterKill struct {
	newState          bool // the killed write had taken effect
	lockWait, nextSet time.Duration
}

// crashChild runs envsafe with the arguments after -- under a seccomp
// filter that kills the process (SIGSYS, as final as SIGKILL) when it
// enters a system call of the named point.
func crashChild(name string) {
	var point *crashPoint
	for i := range crashPoints {
		if crashPoints[i].name == name {
			point = &crashPoints[i]
		}
	}
	if point == nil {
		fmt.Fprintf(os.Stderr, "unknown crash point %q\n", name)
		os.Exit(2)
	}
	if err := killOn(point.calls, point.excl); err != nil {
		fmt.Fprintf(os.Stderr, "the kernel refused the seccomp filter: %v\n", err)
		os.Exit(exitNoSeccomp)
	}
	os.Args = append([]string{"envsafe"}, flag.Args()...)
	os.Exit(run())
}

// sockFilter and sockFprog are the kernel's struct sock_filter and
// struct sock_fprog (classic BPF).
type sockFilter struct {
	code   uint16
	jt, jf uint8
	k      uint32
}

type sockFprog struct {
	len    uint16
	filter *sockFilter
}

// killOn installs, in every thread of this process, a seccomp filter that
// kills the process on entry to any of calls; with excl, an openat only
// when its flags hold O_EXCL.
func killOn(calls []string, excl bool) error {
	const (
		ldAbs       = 0x20 // BPF_LD | BPF_W | BPF_ABS
		jeq         = 0x15 // BPF_JMP | BPF_JEQ | BPF_K
		jset        = 0x45 // BPF_JMP | BPF_JSET | BPF_K
		ret         = 0x06 // BPF_RET | BPF_K
		allow       = 0x7fff0000
		killProcess = 0x80000000
		offNr       = 0  // seccomp_data.nr
		offArch     = 4  // seccomp_data.arch
		offArg2     = 32 // low half of seccomp_data.args[2] (openat's flags)
		oExcl       = 0x80
	)
	nr := sysno[runtime.GOARCH]
	var nrs []uint32
	for _, c := range calls {
		if n, ok := nr[c]; ok {
			nrs = append(nrs, n)
		}
	}
	prog := []sockFilter{
		{ldAbs, 0, 0, offArch},
		{jeq, 1, 0, nr["arch"]},
		{ret, 0, 0, allow},
		{ldAbs, 0, 0, offNr},
	}
	for i, n := range nrs {
		// A match jumps past the other comparisons and the allow below.
		prog = append(prog, sockFilter{jeq, uint8(len(nrs) - i), 0, n})
	}
	prog = append(prog, sockFilter{ret, 0, 0, allow})
	if excl {
		prog = append(prog,
			sockFilter{ldAbs, 0, 0, offArg2},
			sockFilter{jset, 1, 0, oExcl},
			sockFilter{ret, 0, 0, allow})
	}
	prog = append(prog, sockFilter{ret, 0, 0, killProcess})

	const prSetNoNewPrivs, setModeFilter, flagTsync = 38, 1, 1
	if _, _, e := syscall.RawSyscall6(uintptr(nr["prctl"]), prSetNoNewPrivs, 1, 0, 0, 0, 0); e != 0 {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", e)
	}
	fprog := sockFprog{len: uint16(len(prog)), filter: &prog[0]}
	r, _, e := syscall.RawSyscall(uintptr(nr["seccomp"]), setModeFilter, flagTsync, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	if e != 0 {
		return fmt.Errorf("seccomp: %w", e)
	}
	if r != 0 {
		return fmt.Errorf("seccomp: thread %d could not take the filter", r)
	}
	return nil
}

func killAtRandomMoments(t *testing.T, s *sandbox, state map[string]string) {
	kills := count(t, "ENVSAFE_CRASH_KILLS", map[bool]int{true: 300, false: 20}[stress()])
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("ENVSAFE_CRASH_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("ENVSAFE_CRASH_SEED=%q is not a number", v)
		}
		seed = n
	}
	t.Logf("seed %d: ENVSAFE_CRASH_SEED=%d replays these kill moments (as fractions of the measured write time)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	// How long a set takes from start to exit, to spread the kills over.
	var span time.Duration
	for i := range 3 {
		r := s.must(nil, "set", fmt.Sprintf("WARMUP=%d", i))
		span = max(span, r.took)
		state["WARMUP"] = fmt.Sprint(i)
	}
	var (
		oldState, newState, finished int
		maxLockWait, maxNext         time.Duration
		midWrite                     int
	)
	for i := range kills {
		a := fmt.Sprintf("a-%d-%d", i, rng.Int())
		delay := time.Duration(rng.Float64() * float64(span))
		label := fmt.Sprintf("kill %d (after %s; seed %d)", i, delay, seed)
		want := maps.Clone(state)
		want["CRASH_A"] = a
		cmd, _, stderr := s.command(nil, "set", "CRASH_A="+a)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		// Not yet reaped, so the signal reaches the process or, when it
		// has already exited, nothing: then Wait reports its exit 0.
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		completed := err == nil
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !completed && (!ok || !ws.Signaled()) {
			t.Fatalf("%s: envsafe failed on its own: %v\n%s", label, err, stderr)
		}
		if completed {
			finished++
		} else if len(s.tempFiles()) > 0 {
			midWrite++ // killed between creating the new file and renaming it
		}
		var m afterKill
		state, m = checkAfterKill(t, s, label, state, want, map[bool]string{true: "new", false: "either"}[completed])
		maxLockWait, maxNext = max(maxLockWait, m.lockWait), max(maxNext, m.nextSet)
		switch {
		case completed:
		case m.newState:
			newState++
		default:
			oldState++
		}
	}
	landed := kills - finished
	t.Logf("%d tries over a %s write: %d killed (%d left the old state, %d the new; %d between creating the temporary file and renaming it), %d finished first and left the new state; max lock wait after a kill %s; max next set %s",
		kills, span.Round(time.Millisecond), landed, oldState, newState, midWrite, finished, maxLockWait, maxNext.Round(time.Millisecond))
	if landed == 0 {
		t.Fatalf("none of %d kills landed before envsafe finished (seed %d): the kill moments are wrong", kills, seed)
	}
	figure(t, "crash.kills", landed)
	figure(t, "crash.old_state", oldState)
	figure(t, "crash.new_state", newState)
	figure(t, "crash.finished_first", finished)
	figure(t, "crash.tries", kills)
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
