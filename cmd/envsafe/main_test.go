package main

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/trust"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/crypt/plugintest"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"envsafe": func() { os.Exit(run()) },
		// A hardware key's plugin, as far as the protocol goes: scripts
		// find it on PATH like age-plugin-yubikey.
		"age-plugin-" + plugintest.Name: func() { os.Exit(plugintest.Main()) },
	})
}

// keychainReady reports whether `make test` set up a private Secret Service.
func keychainReady() bool { return os.Getenv("ENVSAFE_TEST_KEYCHAIN") == "1" }

// TestScripts runs the end-to-end scripts in testdata/script against the
// real binary: exit statuses, stdout/stderr separation, real files, and the
// real keychain and age CLI where the script asks for them.
func TestScripts(t *testing.T) {
	if os.Getenv("ENVSAFE_REQUIRE_KEYCHAIN") == "1" {
		if !keychainReady() {
			t.Fatal("ENVSAFE_REQUIRE_KEYCHAIN=1 but no private test keychain: run `make test`")
		}
		// The no-keychain test must face the real dbus-launch (dbus-x11).
		if _, err := exec.LookPath("dbus-launch"); err != nil {
			t.Fatal("ENVSAFE_REQUIRE_KEYCHAIN=1 but dbus-launch is missing: apt-get install dbus-x11")
		}
	}
	if os.Getenv("ENVSAFE_REQUIRE_SHELLS") == "1" {
		for _, sh := range []string{"bash", "zsh", "fish", "dash"} {
			if _, err := exec.LookPath(sh); err != nil {
				t.Fatalf("ENVSAFE_REQUIRE_SHELLS=1 but %s is not installed", sh)
			}
		}
		if _, err := os.Stat("/usr/share/bash-completion/bash_completion"); err != nil {
			t.Fatal("ENVSAFE_REQUIRE_SHELLS=1 but bash-completion is not installed")
		}
	}
	if os.Getenv("ENVSAFE_REQUIRE_NPM") == "1" {
		if _, err := exec.LookPath("npm"); err != nil {
			t.Fatal("ENVSAFE_REQUIRE_NPM=1 but npm is not on PATH")
		}
	}
	if os.Getenv("ENVSAFE_REQUIRE_EXAMPLES") == "1" {
		for _, tool := range []string{"npm", "direnv", "ssh-keygen"} {
			if _, err := exec.LookPath(tool); err != nil {
				t.Fatalf("ENVSAFE_REQUIRE_EXAMPLES=1 but %s is not installed", tool)
			}
		}
	}
	if os.Getenv("ENVSAFE_REQUIRE_TOOLS") == "1" {
		for _, tool := range []string{"age", "age-keygen", "git", "sops"} {
			if _, err := exec.LookPath(tool); err != nil {
				t.Fatalf("ENVSAFE_REQUIRE_TOOLS=1 but %s is not on PATH: run `make test`", tool)
			}
		}
	}
	dotenvx := installDotenvx(t)
	testscript.Run(t, scriptParams("testdata/script", dotenvx))
}

// scriptParams is how every end-to-end script runs: a fresh HOME, no
// session bus unless the script asks, the repository at $REPO, the pinned
// dotenvx CLI at $DOTENVX ("" when npm is missing), and the custom
// commands below.
func scriptParams(dir, dotenvx string) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", env.WorkDir+"/home")
			env.Setenv("USER", "tester")
			// The keychain is reachable only where a script asks for it,
			// through $TEST_DBUS; every other script has no session bus.
			env.Setenv("TEST_DBUS", os.Getenv("DBUS_SESSION_BUS_ADDRESS"))
			env.Setenv("GIT_CONFIG_NOSYSTEM", "1")
			env.Setenv("ENVSAFE_KEYCHAIN_TIMEOUT", "10s")
			// make race: the race detector's settings reach every envsafe.
			if v := os.Getenv("GORACE"); v != "" {
				env.Setenv("GORACE", v)
			}
			repo, err := filepath.Abs("../..")
			if err != nil {
				return err
			}
			env.Setenv("REPO", repo)
			env.Setenv("DOTENVX", dotenvx)
			return os.MkdirAll(env.WorkDir+"/home", 0o755)
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "keychain":
				return keychainReady(), nil
			case "dotenvx":
				return dotenvx != "", nil
			case "root":
				// chown to a second user needs root (CI runs as root).
				return os.Geteuid() == 0, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"flipbyte":     cmdFlipByte,
			"truncate":     cmdTruncate,
			"genfile":      cmdGenFile,
			"lines":        cmdLines,
			"exits":        cmdExits,
			"newprocs":     cmdNewProcs,
			"ageencrypt":   cmdAgeEncrypt,
			"noplaintext":  cmdNoPlaintext,
			"dropline":     cmdDropLine,
			"pluginkey":    cmdPluginKey,
			"tagtest":      cmdTagtest,
			"forgepending": cmdForgePending,
		},
	}
}

// flipbyte FILE OFFSET flips the low bit of one byte; a negative OFFSET
// counts from the end.
func cmdFlipByte(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: flipbyte FILE OFFSET")
	}
	data := []byte(ts.ReadFile(args[0]))
	off, err := strconv.Atoi(args[1])
	ts.Check(err)
	if off < 0 {
		off += len(data)
	}
	data[off] ^= 0x01
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), data, 0o644))
}

// truncate FILE SIZE cuts a file to SIZE bytes.
func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: truncate FILE SIZE")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	ts.Check(os.Truncate(ts.MkAbs(args[0]), int64(n)))
}

// genfile FILE SIZE writes SIZE bytes of varied printable text with
// newlines, quotes, $ and #.
func cmdGenFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: genfile FILE SIZE")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	const alphabet = "abc XYZ 019 $HOME ${X} #hash 'single' \"double\" `back` = \\ é ✓\n"
	var buf bytes.Buffer
	for buf.Len() < n {
		buf.WriteString(alphabet)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), buf.Bytes()[:n], 0o644))
}

// ageencrypt RECIPIENTS IN OUT encrypts IN to the public keys listed one a
// line in RECIPIENTS, as a plain armored age file (what `age -a -R` writes),
// for scripts that put a file there as another member or an attacker could,
// on machines without the age CLI. interop.txtar proves the real age CLI
// reads and writes the same files.
func cmdAgeEncrypt(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: ageencrypt RECIPIENTS IN OUT")
	}
	var rs []crypt.Recipient
	for _, line := range strings.Split(ts.ReadFile(args[0]), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r, err := crypt.ParseRecipient(line)
		ts.Check(err)
		rs = append(rs, r)
	}
	out, err := crypt.Encrypt([]byte(ts.ReadFile(args[1])), rs)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), out, 0o644))
}

// exits N PROG [ARG...] runs PROG like exec and checks its exit status is
// exactly N, for the documented exit codes.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N PROG [ARG...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = exit.ExitCode()
	}
	if got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
}

// newprocs mark|check NAME records the processes called NAME, then fails
// if any process called NAME appeared since the mark.
func cmdNewProcs(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: newprocs mark|check NAME")
	}
	state := ts.MkAbs(".procs-" + args[1])
	now := processesNamed(args[1])
	switch args[0] {
	case "mark":
		ts.Check(os.WriteFile(state, []byte(strings.Join(now, "\n")), 0o644))
	case "check":
		before := strings.Split(ts.ReadFile(state), "\n")
		for _, pid := range now {
			if !slices.Contains(before, pid) {
				ts.Fatalf("a new %s process appeared: pid %s", args[1], pid)
			}
		}
	default:
		ts.Fatalf("usage: newprocs mark|check NAME")
	}
}

func processesNamed(name string) []string {
	var pids []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		comm, err := os.ReadFile("/proc/" + e.Name() + "/comm")
		if err == nil && strings.TrimSpace(string(comm)) == name {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

// lines N FILE checks that FILE (or stdout when FILE is "stdout") has N lines.
func cmdLines(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: lines N stdout|FILE")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	var text string
	if args[1] == "stdout" {
		text = ts.ReadFile("stdout")
	} else {
		text = ts.ReadFile(args[1])
	}
	got := bytes.Count([]byte(text), []byte("\n"))
	if (got == want) == neg {
		ts.Fatalf("%s has %d lines, want %s%d", args[1], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// forgepending TEAMSIG KEYFILE NAME OUT writes, as someone who can push
// would, a pending admin change adding NAME with KEYFILE's signing key,
// signed by that key alone.
func cmdForgePending(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: forgepending TEAMSIG KEYFILE NAME OUT")
	}
	f, err := trust.Parse([]byte(ts.ReadFile(args[0])))
	ts.Check(err)
	id, err := identity.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	key, err := id.SigningKey()
	ts.Check(err)
	admins := append(slices.Clone(f.Log[len(f.Log)-1].Entry.Admins), trust.Admin{Name: args[2], Key: trust.PublicKeyText(key)})
	entry, err := trust.AppendLogEntry(f.Log, admins, 1, time.Now(), key)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[3]), trust.EncodePending(entry), 0o644))
}
