package keychain

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// requireTestKeychain skips unless `make test` set up a private Secret
// Service for this run (so a developer's own keychain is never touched), and
// fails instead when ENVSAFE_REQUIRE_KEYCHAIN=1 demands one.
func requireTestKeychain(t *testing.T) {
	t.Helper()
	if os.Getenv("ENVSAFE_TEST_KEYCHAIN") == "1" {
		return
	}
	if os.Getenv("ENVSAFE_REQUIRE_KEYCHAIN") == "1" {
		t.Fatal("ENVSAFE_REQUIRE_KEYCHAIN=1 but no private test keychain was set up: run the tests with `make test`")
	}
	t.Skip("no private test keychain: run `make test` to test against a real Secret Service")
}

func randomAccount(t *testing.T) string {
	b := make([]byte, 6)
	rand.Read(b)
	return "test-" + hex.EncodeToString(b)
}

func TestSystemKeychainRoundTrip(t *testing.T) {
	requireTestKeychain(t)
	kc := NewSystem(10 * time.Second)
	ctx := context.Background()
	account := randomAccount(t)
	const secret = "AGE-SECRET-KEY-1TESTVALUE"
	if err := kc.Set(ctx, account, secret); err != nil {
		t.Fatalf("Set: %v", err)
	}
	got, err := kc.Get(ctx, account)
	if err != nil || got != secret {
		t.Fatalf("Get() = %q, %v", got, err)
	}
	if runtime.GOOS == "linux" {
		// Ask the Secret Service directly, not through our own code.
		out, err := exec.Command("secret-tool", "lookup", "service", Service, "username", account).Output()
		if err != nil || string(out) != secret {
			t.Fatalf("secret-tool lookup = %q, %v; the entry is not in the Secret Service", out, err)
		}
	}
	if err := kc.Delete(ctx, account); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := kc.Get(ctx, account); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: err = %v, want ErrNotFound", err)
	}
	if err := kc.Delete(ctx, account); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete of a missing entry: err = %v, want ErrNotFound", err)
	}
}

func TestCallGivesUpOnAKeychainThatNeverAnswers(t *testing.T) {
	if runtime.GOOS == "linux" {
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent") // pass the bus check
	}
	kc := NewSystem(150 * time.Millisecond)
	start := time.Now()
	err := kc.call(context.Background(), func() error { select {} })
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "did not answer") {
		t.Fatalf("err = %v, want ErrUnavailable saying it did not answer", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("gave up after %s", elapsed)
	}
}

func TestMemoryKeychain(t *testing.T) {
	m := NewMemory()
	ctx := context.Background()
	if _, err := m.Get(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	m.Set(ctx, "a", "1")
	if v, _ := m.Get(ctx, "a"); v != "1" {
		t.Fatalf("got %q", v)
	}
	m.Err = ErrUnavailable
	if err := m.Set(ctx, "a", "2"); !errors.Is(err, ErrUnavailable) {
		t.Fatal(err)
	}
}

// TestNoSessionBusStartsNoDaemon runs a child process with no session bus
// and a fake dbus-launch first on PATH that records being run: the D-Bus
// library runs dbus-launch when it finds no bus, so the marker file proves
// whether a bus daemon would have been started.
func TestNoSessionBusStartsNoDaemon(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("D-Bus autolaunch is a Linux concern")
	}
	if _, err := os.Stat(filepath.Join("/run/user", strconv.Itoa(os.Getuid()), "bus")); err == nil {
		t.Skip("this machine has a per-user session bus, so 'no bus' cannot be simulated")
	}
	for _, c := range []struct {
		mode        string
		wantLaunch  bool
		description string
	}{
		{"envsafe", false, "envsafe's keychain must not run dbus-launch"},
		{"raw-go-keyring", true, "control: go-keyring alone runs dbus-launch, so the marker works"},
	} {
		t.Run(c.mode, func(t *testing.T) {
			bin := t.TempDir()
			marker := filepath.Join(bin, "dbus-launch-ran")
			script := "#!/bin/sh\ntouch " + marker + "\nexit 1\n"
			if err := os.WriteFile(filepath.Join(bin, "dbus-launch"), []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperNoBus$")
			cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "HOME=" + t.TempDir(), "ENVSAFE_HELPER_MODE=" + c.mode}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("helper failed: %v\n%s", err, out)
			}
			_, statErr := os.Stat(marker)
			if launched := statErr == nil; launched != c.wantLaunch {
				t.Fatalf("dbus-launch ran = %v: %s\n%s", launched, c.description, out)
			}
		})
	}
}

func TestHelperNoBus(t *testing.T) {
	switch os.Getenv("ENVSAFE_HELPER_MODE") {
	case "envsafe":
		_, err := NewSystem(2*time.Second).Get(context.Background(), "identity")
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "no D-Bus session bus") {
			t.Fatalf("err = %v, want ErrUnavailable naming the missing bus", err)
		}
	case "raw-go-keyring":
		keyring.Get(Service, "identity") // expected to fail; we only watch for dbus-launch
	default:
		t.Skip("helper process only")
	}
}

func TestUnlockAdviceSpeaksTheOSsLanguage(t *testing.T) {
	if got := unlockAdvice("linux"); !strings.Contains(got, "unlock your keyring") {
		t.Errorf("linux: %q", got)
	}
	if got := unlockAdvice("windows"); strings.Contains(got, "keyring") || !strings.Contains(got, "Credential Manager") {
		t.Errorf("windows: %q", got)
	}
}
