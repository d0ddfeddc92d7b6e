package runner

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestBuildEnvSecretsWinUnlessPreserved(t *testing.T) {
	inherited := []string{"HOME=/home/a", "API_KEY=old", "SAME=1", "KEEP=mine", "PATH=/bin"}
	secrets := Map{"API_KEY": "new", "SAME": "1", "KEEP": "theirs", "NEW": "x$HOME", "LD_PRELOAD": "/evil.so"}
	e := BuildEnv(inherited, secrets, []string{"KEEP"})
	want := []string{"API_KEY=new", "HOME=/home/a", "KEEP=mine", "LD_PRELOAD=/evil.so", "NEW=x$HOME", "PATH=/bin", "SAME=1"}
	got := slices.Sorted(slices.Values(e.Vars))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Vars =\n%q\nwant\n%q", e.Vars, want)
	}
	if !reflect.DeepEqual(e.Shadowed, []string{"API_KEY"}) {
		t.Fatalf("Shadowed = %q: only a different inherited value is worth a warning", e.Shadowed)
	}
	if !reflect.DeepEqual(e.Risky, []string{"LD_PRELOAD"}) {
		t.Fatalf("Risky = %q", e.Risky)
	}
}

func TestBuildEnvKeepsOneCopyOfDuplicatedInheritedNames(t *testing.T) {
	e := BuildEnv([]string{"A=1", "A=2"}, Map{"A": "s"}, nil)
	if !reflect.DeepEqual(e.Vars, []string{"A=s"}) {
		t.Fatalf("Vars = %q", e.Vars)
	}
}

func TestRiskyNames(t *testing.T) {
	for _, n := range []string{"LD_LIBRARY_PATH", "DYLD_INSERT_LIBRARIES", "NODE_OPTIONS", "PYTHONPATH", "PATH", "BASH_ENV"} {
		if !isRisky(n) {
			t.Errorf("%s not flagged", n)
		}
	}
	for _, n := range []string{"DATABASE_URL", "API_KEY", "NODE_ENV", "MYPATH"} {
		if isRisky(n) {
			t.Errorf("%s flagged", n)
		}
	}
}

func TestCheckSizesNamesTheVariable(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("per-variable limit is Linux's")
	}
	big := "BIG=" + strings.Repeat("x", MaxVarSize)
	err := CheckSizes([]string{"A=1", big})
	if err == nil || !strings.Contains(err.Error(), "BIG (") || strings.Contains(err.Error(), "xxxx") {
		t.Fatalf("CheckSizes() = %v", err)
	}
	if err := CheckSizes([]string{"OK=" + strings.Repeat("x", MaxVarSize-10)}); err != nil {
		t.Fatalf("a value under the limit refused: %v", err)
	}
}

func TestLookPath(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permissions")
	}
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("#!/bin/sh\n"), mode)
		return p
	}
	exe := write("tool", 0o755)
	noexec := write("plain", 0o644)
	os.Mkdir(filepath.Join(dir, "folder"), 0o755)
	other := t.TempDir()
	path := other + string(os.PathListSeparator) + dir

	if got, err := LookPath("tool", path); err != nil || got != exe {
		t.Fatalf("LookPath(tool) = %q, %v", got, err)
	}
	if _, err := LookPath("plain", path); !errors.Is(err, ErrNotExecutable) {
		t.Fatalf("non-executable on PATH: %v, want ErrNotExecutable", err)
	}
	if _, err := LookPath("folder", path); !errors.Is(err, ErrNotExecutable) {
		t.Fatalf("folder on PATH: %v, want ErrNotExecutable", err)
	}
	if _, err := LookPath("missing", path); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v, want ErrNotFound", err)
	}
	if _, err := LookPath(noexec, ""); !errors.Is(err, ErrNotExecutable) {
		t.Fatalf("path with slash, not executable: %v", err)
	}
	if got, err := LookPath(exe, ""); err != nil || got != exe {
		t.Fatalf("path with slash: %q, %v", got, err)
	}
}
