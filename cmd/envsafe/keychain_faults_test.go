//go:build linux

package main

import (
	"bufio"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// privateKeychain is a Secret Service of the test's own: a D-Bus session
// (dbus-run-session) with a gnome-keyring in it, separate from the one
// `make test` shares between scripts, so that locking or freezing it
// disturbs nobody else.
type privateKeychain struct {
	t    *testing.T
	addr string // DBUS_SESSION_BUS_ADDRESS
	env  []string
}

const testKeyringPassword = "envsafe-test-password"

// requireKeychainTools skips unless `make test` set up keychain testing
// (so gnome-keyring and dbus are installed), and fails instead under
// ENVSAFE_REQUIRE_KEYCHAIN=1.
func requireKeychainTools(t *testing.T) {
	t.Helper()
	if keychainReady() {
		return
	}
	if os.Getenv("ENVSAFE_REQUIRE_KEYCHAIN") == "1" {
		t.Fatal("ENVSAFE_REQUIRE_KEYCHAIN=1 but keychain testing is not set up: run `make test`")
	}
	t.Skip("no keychain testing set up: run `make test`")
}

func startPrivateKeychain(t *testing.T) *privateKeychain {
	t.Helper()
	base := t.TempDir()
	runtime := filepath.Join(base, "run")
	if err := os.Mkdir(runtime, 0o700); err != nil {
		t.Fatal(err)
	}
	k := &privateKeychain{t: t, env: []string{
		// No DISPLAY: a locked keyring must find no prompter to show.
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + base,
		"XDG_RUNTIME_DIR=" + runtime,
		"XDG_DATA_HOME=" + filepath.Join(base, "data"),
	}}
	cmd := exec.Command("dbus-run-session", "--", "sh", "-c",
		`printf %s "$1" | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 1
echo "$DBUS_SESSION_BUS_ADDRESS"
exec cat >/dev/null`, "keychain", testKeyringPassword)
	cmd.Env = k.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting a private D-Bus session: %v", err)
	}
	t.Cleanup(func() {
		// Closing stdin ends the session; the bus going away ends the
		// keyring. Whatever of our own group is left is killed.
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "unix:") {
		t.Fatalf("private D-Bus session did not start: %q %v", line, err)
	}
	go io.Copy(io.Discard, stdout)
	k.addr = strings.TrimSpace(line)
	k.env = append(k.env, "DBUS_SESSION_BUS_ADDRESS="+k.addr)
	return k
}

// tool runs a keychain tool (secret-tool, dbus-send...) on the private bus.
func (k *privateKeychain) tool(stdin string, name string, args ...string) string {
	k.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = k.env
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		k.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// daemonPID asks the bus which process owns the Secret Service name.
func (k *privateKeychain) daemonPID() int {
	k.t.Helper()
	out := k.tool("", "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/",
		"org.freedesktop.DBus.GetConnectionUnixProcessID", "string:org.freedesktop.secrets")
	m := regexp.MustCompile(`uint32 (\d+)`).FindStringSubmatch(out)
	if m == nil {
		k.t.Fatalf("no Secret Service on the private bus: %s", out)
	}
	pid, _ := strconv.Atoi(m[1])
	return pid
}

func (k *privateKeychain) loginLocked() bool {
	k.t.Helper()
	out := k.tool("", "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.secrets",
		"/org/freedesktop/secrets/collection/login", "org.freedesktop.DBus.Properties.Get",
		"string:org.freedesktop.Secret.Collection", "string:Locked")
	return strings.Contains(out, "boolean true")
}

// lock locks the login collection through the Secret Service API, as a
// screen locker or `secret-tool lock` would.
func (k *privateKeychain) lock() {
	k.t.Helper()
	k.tool("", "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.secrets", "/org/freedesktop/secrets",
		"org.freedesktop.Secret.Service.Lock", "array:objpath:/org/freedesktop/secrets/collection/login")
	if !k.loginLocked() {
		k.t.Fatal("the login collection did not lock")
	}
}

// unlock replaces the daemon with one unlocked by the password, the way a
// desktop login does.
func (k *privateKeychain) unlock() {
	k.t.Helper()
	k.tool(testKeyringPassword, "gnome-keyring-daemon", "--replace", "--unlock", "--components=secrets")
}

// TestKeychainFaults drives the real binary against a real gnome-keyring
// that fails in each way the issue lists — no session bus, the collection
// locked with no prompter, the daemon not answering, an entry that is not
// a key — and expects exit 4 with a hint, within a few seconds, and never a
// fallback to a key file: copies of the right key are planted where a tool
// might look, and must not be used. Between faults, the same command
// succeeds again, which shows each failure came from the fault.
func TestKeychainFaults(t *testing.T) {
	requireKeychainTools(t)
	k := startPrivateKeychain(t)
	s := newSandbox(t)
	s.setenv("DBUS_SESSION_BUS_ADDRESS", k.addr)
	const timeout = time.Second
	s.setenv("ENVSAFE_KEYCHAIN_TIMEOUT", timeout.String())
	value := canary(t, "keychain")
	s.must(nil, "init", "--name", "alice") // creates the identity in the keychain
	s.must(strings.NewReader(value), "set", "API_KEY")
	key := s.must(nil, "identity", "export").stdout

	decoys := []string{
		filepath.Join(s.home, ".config", "envsafe", "identity.txt"),
		filepath.Join(s.home, ".config", "envsafe", "key.txt"),
		filepath.Join(s.home, ".config", "sops", "age", "keys.txt"),
		filepath.Join(s.home, ".age", "key.txt"),
		filepath.Join(s.home, ".envsafe", "identity"),
		filepath.Join(s.root, "key.txt"),
		filepath.Join(s.root, ".env.keys"),
	}
	for _, d := range decoys {
		if err := os.MkdirAll(filepath.Dir(d), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(d, []byte(key), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The audit log (one line per decryption, names only) is a file that
	// rightly grows below; make it exist now, so the comparison at the end
	// sees only files that should not appear.
	s.must(nil, "ls")
	before := listFiles(t, s.home, s.root)

	works := func(when string) {
		t.Helper()
		var r result
		for try := 0; try < 50; try++ { // a replaced daemon takes a moment to claim the bus name
			if r = s.run(nil, "get", "API_KEY"); r.code == 0 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if r.code != 0 || r.stdout != value {
			t.Fatalf("%s, get should work: %s", when, r)
		}
	}
	fails := func(fault string, wantErr ...string) {
		t.Helper()
		r := s.run(nil, "get", "API_KEY")
		t.Logf("%s: exit %d after %s: %s", fault, r.code, r.took.Round(time.Millisecond), strings.TrimSpace(r.stderr))
		if r.code != 4 || r.stdout != "" {
			t.Errorf("%s: exit %d with stdout %q, want exit 4 and nothing", fault, r.code, r.stdout)
		}
		if !strings.HasPrefix(r.stderr, "envsafe: error: no identity available") || !strings.Contains(r.stderr, "\nenvsafe: hint: ") {
			t.Errorf("%s: not a clear error with a hint:\n%s", fault, r.stderr)
		}
		for _, w := range wantErr {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: the message does not say %q:\n%s", fault, w, r.stderr)
			}
		}
		if strings.Contains(r.stderr, value) || strings.Contains(r.stderr, "AGE-SECRET-KEY") {
			t.Errorf("%s: a secret on stderr", fault)
		}
		if r.took > timeout+3*time.Second {
			t.Errorf("%s: took %s, more than a few seconds", fault, r.took)
		}
		figure(t, "keychain."+strings.ReplaceAll(fault, " ", "_"), r.took.Round(time.Millisecond))
	}

	works("with the keychain unlocked")

	s.unsetenv("DBUS_SESSION_BUS_ADDRESS")
	fails("no session bus", "no D-Bus session bus", "ENVSAFE_IDENTITY")
	s.setenv("DBUS_SESSION_BUS_ADDRESS", k.addr)
	works("with the bus back")

	pid := k.daemonPID()
	syscall.Kill(pid, syscall.SIGSTOP)
	fails("keyring not answering", "did not answer within "+timeout.String(), "hint: unlock your keyring", "ENVSAFE_IDENTITY")
	syscall.Kill(pid, syscall.SIGCONT)
	works("with the keyring answering again")

	k.lock()
	fails("collection locked", "is locked and nothing could ask for its password", "hint: unlock your keyring", "ENVSAFE_IDENTITY")
	if !k.loginLocked() {
		t.Fatal("the collection was unlocked by someone during the test")
	}
	k.unlock()
	works("after unlocking the collection")

	garbage := canary(t, "garbage")
	k.tool(garbage, "secret-tool", "store", "--label=envsafe", "service", "envsafe", "username", "identity")
	fails("entry not a key", "does not hold an age identity")
	if r := s.run(nil, "get", "API_KEY"); strings.Contains(r.stderr, garbage) {
		t.Error("the garbage entry appears in the message")
	}

	if after := listFiles(t, s.home, s.root); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("files appeared or vanished during the faults:\nbefore %q\nafter  %q", before, after)
	}
}

// listFiles lists the files under roots, sorted.
func listFiles(t *testing.T, roots ...string) []string {
	t.Helper()
	var files []string
	for _, root := range roots {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, path)
			}
			return nil
		})
	}
	return files
}
