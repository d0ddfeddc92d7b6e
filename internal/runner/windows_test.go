//go:build windows

package runner

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// These run inside wine in make test-windows, against the real cmd.exe,
// CreateProcess and file system.

func TestMain(m *testing.M) {
	if os.Getenv("ENVSAFE_RUNNER_HELPER") == "args" {
		json.NewEncoder(os.Stdout).Encode(os.Args[1:])
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestBatchArgumentsArriveUnchanged(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tempDir(t), "my tools & more")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "tool.cmd")
	if err := os.WriteFile(script, []byte("@\"%ENVSAFE_RUNNER_SELF%\" %*\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"plain", "a&b", "a|b", "a<b", "a>b", "a^b", "(a)", "a b", "x,y;z=w", "!PATH!", `C:\dir\`, "", "ünïcode", "!PATH!&echo pwned"}
	cmd, err := Command(script, args)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), "ENVSAFE_RUNNER_HELPER=args", "ENVSAFE_RUNNER_SELF="+self)
	out, err := cmd.Output()
	var got []string
	if err != nil || json.Unmarshal(out, &got) != nil || !reflect.DeepEqual(got, args) {
		t.Fatalf("got %q (%v), want %q", out, err, args)
	}
	for _, bad := range []string{"%PATH%", `a"&b`} {
		if _, err := Command(script, []string{bad}); !errors.Is(err, ErrBatchArg) {
			t.Fatalf("%s: %v, want ErrBatchArg", bad, err)
		}
	}
}

func TestExecReturnsTheChildsCode(t *testing.T) {
	script := filepath.Join(tempDir(t), "five.bat")
	os.WriteFile(script, []byte("@exit /b 5\r\n"), 0o600)
	var exit *ExitError
	if err := Exec(context.Background(), script, []string{script}, os.Environ()); !errors.As(err, &exit) || exit.Code != 5 {
		t.Fatalf("Exec = %v, want exit status 5", err)
	}
}

func TestExecSortsRefusals(t *testing.T) {
	dir := tempDir(t)
	fake := filepath.Join(dir, "fake.exe")
	os.WriteFile(fake, []byte("not a program"), 0o600)
	if err := Exec(context.Background(), fake, []string{fake}, nil); !errors.Is(err, ErrNotExecutable) {
		t.Fatalf("a .exe that is no program: %v, want ErrNotExecutable (126)", err)
	}
}

func TestLookPathOnWindows(t *testing.T) {
	first, second := tempDir(t), tempDir(t)
	os.WriteFile(filepath.Join(first, "tool"), []byte("x"), 0o600)
	bat := filepath.Join(second, "tool.bat")
	os.WriteFile(bat, []byte("@exit /b 0\r\n"), 0o600)
	path := first + ";" + second
	for _, name := range []string{"tool", "TOOL", "tool.bat"} {
		if got, err := LookPath(name, path); err != nil || !strings.EqualFold(got, bat) {
			t.Errorf("LookPath(%s) = %q, %v; want %s", name, got, err, bat)
		}
	}
	if _, err := LookPath(filepath.Join(first, "tool"), ""); !errors.Is(err, ErrNotExecutable) {
		t.Errorf("extension-less file: %v, want ErrNotExecutable", err)
	}
}
