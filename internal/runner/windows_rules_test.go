package runner

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The Windows rules are plain functions of their inputs, so they are tested
// on every OS; windows_test.go runs them for real (make test-windows).

// tempDir is t.TempDir, emptied file by file with os.Remove before the
// testing package's RemoveAll runs: under wine 8 (make test-windows) Go's
// RemoveAll fails on a folder that holds anything.
func tempDir(t *testing.T) string {
	dir := t.TempDir()
	t.Cleanup(func() {
		var walk func(string)
		walk = func(d string) {
			entries, _ := os.ReadDir(d)
			for _, e := range entries {
				if e.IsDir() {
					walk(filepath.Join(d, e.Name()))
				}
				os.Remove(filepath.Join(d, e.Name()))
			}
		}
		walk(dir)
		os.Remove(dir)
	})
	return dir
}

func TestBuildEnvFoldsNamesLikeWindows(t *testing.T) {
	inherited := []string{`PATH=C:\Windows`, "Lang=x", "TEMP=t"}
	e := buildEnv(inherited, Map{"Path": `C:\evil`, "LANG": "x"}, nil, true)
	got := slices.Sorted(slices.Values(e.Vars))
	if want := []string{"LANG=x", `Path=C:\evil`, "TEMP=t"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Vars = %q, want %q: a secret Path replaces PATH, leaving one of them", got, want)
	}
	if !reflect.DeepEqual(e.Shadowed, []string{"PATH"}) || !reflect.DeepEqual(e.Risky, []string{"Path"}) {
		t.Fatalf("Shadowed = %q, Risky = %q: both warnings are due", e.Shadowed, e.Risky)
	}
	e = buildEnv(inherited, Map{"Path": `C:\evil`}, []string{"path"}, true)
	got = slices.Sorted(slices.Values(e.Vars))
	if want := []string{"Lang=x", `PATH=C:\Windows`, "TEMP=t"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("--preserve-env path: Vars = %q, want %q", got, want)
	}
	e = buildEnv([]string{"Path=a", "PATH=b"}, Map{}, nil, true)
	if !reflect.DeepEqual(e.Vars, []string{"Path=a"}) {
		t.Fatalf("duplicated inherited names: %q", e.Vars)
	}
	// Unix keeps case: Path and PATH are two variables.
	e = buildEnv(inherited, Map{"Path": "p"}, nil, false)
	if len(e.Vars) != 4 || len(e.Shadowed) != 0 {
		t.Fatalf("unix: Vars = %q, Shadowed = %q", e.Vars, e.Shadowed)
	}
}

func TestLookPathLikeCmdExe(t *testing.T) {
	exts := parsePathExt(".COM;.EXE;.BAT;.CMD")
	first, second := tempDir(t), tempDir(t)
	touch := func(dir, name string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	touch(first, "tool") // extension-less: cmd.exe never runs it
	bat := touch(second, "tool.bat")
	path := first + string(os.PathListSeparator) + second
	if got, err := lookPath("tool", path, exts); err != nil || got != bat {
		t.Fatalf("lookPath(tool) = %q, %v; want %s as cmd.exe", got, err, bat)
	}
	exe := touch(first, "tool.exe")
	if got, err := lookPath("tool", path, exts); err != nil || got != exe {
		t.Fatalf("lookPath(tool) = %q, %v; want %s (first folder, PATHEXT order)", got, err, exe)
	}
	cmd := touch(second, "npm.cmd")
	if got, err := lookPath("npm.cmd", path, exts); err != nil || got != cmd {
		t.Fatalf("lookPath(npm.cmd) = %q, %v", got, err)
	}
	notes := touch(first, "notes.txt")
	for _, name := range []string{"notes.txt", notes, filepath.Join(first, "tool")} {
		if name == filepath.Join(first, "tool") {
			os.Remove(exe)
		}
		if _, err := lookPath(name, path, exts); !errors.Is(err, ErrNotExecutable) {
			t.Errorf("lookPath(%s) = %v, want ErrNotExecutable (exit 126)", name, err)
		}
	}
	if _, err := lookPath("missing", path, exts); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if got := parsePathExt(""); !reflect.DeepEqual(got, []string{".com", ".exe", ".bat", ".cmd"}) {
		t.Fatalf("parsePathExt(\"\") = %q", got)
	}
	if got := parsePathExt(".Exe;;PS1;.exe"); !reflect.DeepEqual(got, []string{".exe", ".ps1"}) {
		t.Fatalf("parsePathExt = %q", got)
	}
}

// Each cmd.exe metacharacter reaches the batch file inside double quotes,
// where cmd.exe reads it literally; what cmd.exe expands even there is
// refused, by position, without echoing the argument.
func TestBatchCommandLine(t *testing.T) {
	const cmdExe, script = `C:\Windows\System32\cmd.exe`, `C:\My Tools\npm.cmd`
	prefix := `"` + cmdExe + `" /d /e:on /v:off /s /c ""` + script + `"`
	for arg, want := range map[string]string{
		"plain":        `plain`,
		"--flag=x":     `"--flag=x"`,
		`C:\dir\`:      `"C:\dir\\"`,
		"":             `""`,
		"a&b":          `"a&b"`,
		"a|b":          `"a|b"`,
		"a<b":          `"a<b"`,
		"a>b":          `"a>b"`,
		"a^b":          `"a^b"`,
		"(a)":          `"(a)"`,
		"a b":          `"a b"`,
		"a,b;c":        `"a,b;c"`,
		"!API_KEY!":    `"!API_KEY!"`,
		`C:\a b\\`:     `"C:\a b\\\\"`,
		"tab\there":    `"tab` + "\t" + `here"`,
		"ünïcode":      `ünïcode`,
		`$HOME*?@#+-.`: `$HOME*?@#+-.`,
	} {
		got, err := BatchCommandLine(cmdExe, script, []string{arg})
		if err != nil || got != prefix+" "+want+`"` {
			t.Errorf("arg %q: %s, %v; want the argument as %s", arg, got, err, want)
		}
	}
	for _, arg := range []string{"%API_KEY%", "100%", `say "hi"&calc`, `a"&b`, `a\"&b`, "a\nb", "a\rb", "a\x00b"} {
		_, err := BatchCommandLine(cmdExe, script, []string{"ok", arg})
		if !errors.Is(err, ErrBatchArg) || !strings.HasPrefix(err.Error(), "argument 2 holds") || strings.Contains(err.Error(), arg) {
			t.Errorf("arg %q: %v, want ErrBatchArg naming argument 2, without its text", arg, err)
		}
	}
	if _, err := BatchCommandLine(cmdExe, `C:\100%\x.bat`, nil); !errors.Is(err, ErrBatchArg) {
		t.Errorf("script path with %%: %v", err)
	}
	for path, want := range map[string]bool{`a\npm.cmd`: true, "x.BAT": true, "x.exe": false, "cmd": false} {
		if IsBatch(path) != want {
			t.Errorf("IsBatch(%q) = %v", path, !want)
		}
	}
}
