//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The Windows lane: `make test-windows` (scripts/test-windows) builds
// envsafe.exe and testdata/winhelper for windows/amd64, makes a private
// wine prefix, and runs TestWine with ENVSAFE_WINE_DIR naming the folder
// that holds both. TestWine drives envsafe.exe through wine the way a
// Windows user would, from a project folder with a space in its path.
// Elsewhere it skips.

type wineLane struct {
	t        *testing.T
	bin, dir string
}

// wineEnv is this process's environment without envsafe's own settings
// (the lane's identity is the one in wine's Credential Manager).
func wineEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ENVSAFE_") && !strings.HasPrefix(kv, "WINEPATH=") {
			env = append(env, kv)
		}
	}
	return append(append(env, "WINEDEBUG=-all"), extra...)
}

// winPath is the Windows name wine gives a Linux path (drive Z:).
func winPath(p string) string { return `Z:` + strings.ReplaceAll(p, "/", `\`) }

func (w *wineLane) cmd(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command("wine", append([]string{filepath.Join(w.bin, "envsafe.exe")}, args...)...)
	cmd.Dir = w.dir
	cmd.Env = wineEnv(env...)
	return cmd
}

// envsafe runs envsafe.exe and returns stdout, stderr and the exit code.
func (w *wineLane) envsafe(env []string, stdin string, args ...string) (string, string, int) {
	w.t.Helper()
	cmd := w.cmd(env, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		w.t.Fatalf("wine envsafe.exe %q: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// ok runs envsafe.exe and fails the test unless it exits 0.
func (w *wineLane) ok(env []string, stdin string, args ...string) string {
	w.t.Helper()
	out, stderr, code := w.envsafe(env, stdin, args...)
	if code != 0 {
		w.t.Fatalf("envsafe %q exited %d:\n%s%s", args, code, out, stderr)
	}
	return out
}

func (w *wineLane) write(name, text string) string {
	w.t.Helper()
	p := filepath.Join(w.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		w.t.Fatal(err)
	}
	return p
}

func TestWine(t *testing.T) {
	bin := os.Getenv("ENVSAFE_WINE_DIR")
	if bin == "" {
		t.Skip("the Windows lane: make test-windows")
	}
	w := &wineLane{t: t, bin: bin, dir: filepath.Join(t.TempDir(), "my project")}
	if err := os.Mkdir(w.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	helper := winPath(filepath.Join(bin, "winhelper.exe"))

	t.Run("init uses the Credential Manager", func(t *testing.T) {
		w.t = t
		w.ok(nil, "", "init")
		status := w.ok(nil, "", "status")
		if !strings.Contains(status, "from keychain (Windows Credential Manager)") || !strings.Contains(status, "Windows Credential Manager, available") {
			t.Fatalf("status:\n%s", status)
		}
		if !strings.HasPrefix(w.ok(nil, "", "identity", "show"), "age1") {
			t.Fatal("identity show printed no public key")
		}
	})

	t.Run("set get import export", func(t *testing.T) {
		w.t = t
		w.ok(nil, "", "set", "API_KEY=s3cret", `WIN_PATH=C:\Program Files\x`)
		w.ok(nil, "from stdin\n", "set", "PIPED")
		w.write(".env", "# CRLF, as Notepad saves it\r\nDB_URL=postgres://u:p@h/db\r\nQUOTED=\"two\\nlines\"\r\n")
		w.ok(nil, "", "import", ".env")
		for name, want := range map[string]string{"API_KEY": "s3cret", "PIPED": "from stdin", "DB_URL": "postgres://u:p@h/db", "QUOTED": "two\nlines", "WIN_PATH": `C:\Program Files\x`} {
			if got := w.ok(nil, "", "get", name); got != want {
				t.Errorf("get %s = %q, want %q", name, got, want)
			}
		}
		w.ok(nil, "", "export", "-o", "out.env")
		data, err := os.ReadFile(filepath.Join(w.dir, "out.env"))
		if err != nil || !strings.Contains(string(data), "API_KEY=s3cret") {
			t.Fatalf("export -o: %q, %v", data, err)
		}
		if strings.Contains(w.ok(nil, "", "export", "-o", "out2.env"), "0600") {
			t.Error("export speaks of mode 0600 on Windows")
		}
	})

	t.Run("CRLF checkout", func(t *testing.T) {
		w.t = t
		// What git with core.autocrlf=true checks out on Windows.
		for _, name := range []string{".envsafe/team.yaml", ".envsafe/development.age"} {
			p := filepath.Join(w.dir, name)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			crlf := strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n", "\r\n")
			if err := os.WriteFile(p, []byte(crlf), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if got := w.ok(nil, "", "get", "API_KEY"); got != "s3cret" {
			t.Fatalf("get after a CRLF checkout = %q", got)
		}
		w.ok(nil, "", "set", "AFTER_CRLF=1")
	})

	t.Run("edit through a .cmd editor", func(t *testing.T) {
		w.t = t
		editor := w.write("editor & co/add.cmd", "@echo EDITED=yes>> %1\r\n")
		w.ok([]string{"EDITOR=" + `"` + winPath(editor) + `"`}, "", "edit")
		if got := w.ok(nil, "", "get", "EDITED"); got != "yes" {
			t.Fatalf("get EDITED = %q", got)
		}
		left, _ := filepath.Glob(filepath.Join(os.Getenv("WINEPREFIX"), "drive_c", "users", "*", "*", "*", "Temp", "envsafe-edit-*"))
		left2, _ := filepath.Glob(filepath.Join(os.Getenv("WINEPREFIX"), "drive_c", "users", "*", "Temp", "envsafe-edit-*"))
		if len(left)+len(left2) > 0 {
			t.Fatalf("edit left %q", append(left, left2...))
		}
	})

	t.Run("run exit codes", func(t *testing.T) {
		w.t = t
		if _, stderr, code := w.envsafe(nil, "", "run", "--", helper, "exit", "3"); code != 3 {
			t.Fatalf("exit 3: got %d\n%s", code, stderr)
		}
		if _, _, code := w.envsafe(nil, "", "run", "--", "no-such-program"); code != 127 {
			t.Fatalf("not found: got %d, want 127", code)
		}
		notes := w.write("notes.txt", "not a program\r\n")
		for _, prog := range []string{winPath(notes), "notes.txt"} {
			if _, stderr, code := w.envsafe([]string{"WINEPATH=" + winPath(w.dir)}, "", "run", "--", prog); code != 126 {
				t.Fatalf("%s: got %d, want 126\n%s", prog, code, stderr)
			}
		}
		w.write("first/tool", "no extension: cmd.exe would not run it\r\n")
		w.write("second/tool.bat", "@exit /b 5\r\n")
		winePath := "WINEPATH=" + winPath(filepath.Join(w.dir, "first")) + ";" + winPath(filepath.Join(w.dir, "second"))
		if _, stderr, code := w.envsafe([]string{winePath}, "", "run", "--", "tool"); code != 5 {
			t.Fatalf("tool: got %d, want 5 from second\\tool.bat\n%s", code, stderr)
		}
	})

	t.Run(".cmd arguments reach the program unchanged", func(t *testing.T) {
		w.t = t
		script := w.write("tools & more/echoargs.cmd", "@\""+helper+"\" args %*\r\n")
		args := []string{"plain", "a&b", "a|b", "a<b", "a>b", "a^b", "(a)", "a b", "x,y;z=w", "!API_KEY!", `C:\dir\`, "", "&echo pwned"}
		out, stderr, code := w.envsafe(nil, "", append([]string{"run", "--", winPath(script)}, args...)...)
		var got []string
		if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || !reflect.DeepEqual(got, args) {
			t.Fatalf("exit %d, got %q (%v), want %q\n%s", code, out, err, args, stderr)
		}
		for _, bad := range []string{"%API_KEY%", "50%", `say "hi"&echo pwned`, "a\nb"} {
			out, stderr, code := w.envsafe(nil, "", "run", "--", winPath(script), "ok", bad)
			if code != 125 || out != "" || !strings.Contains(stderr, "argument 2 holds") || strings.Contains(stderr, "s3cret") {
				t.Errorf("%q: exit %d, stdout %q, stderr %q; want 125, refused by position", bad, code, out, stderr)
			}
		}
	})

	t.Run("names without regard to case", func(t *testing.T) {
		w.t = t
		w.ok(nil, "", "set", `Path=C:\from-the-secret`)
		out, stderr, code := w.envsafe(nil, "", "run", "--", helper, "env", "PATH")
		if code != 0 || out != "Path=C:\\from-the-secret\r\n" && out != "Path=C:\\from-the-secret\n" {
			t.Fatalf("exit %d: the child saw %q, want only the secret's Path\n%s", code, out, stderr)
		}
		if !strings.Contains(stderr, "replaces inherited PATH") || !strings.Contains(stderr, "sets Path: that changes how programs load code") {
			t.Fatalf("no shadowing or code-loading warning:\n%s", stderr)
		}
		out, _, _ = w.envsafe(nil, "", "run", "--preserve-env", "PATH", "--", helper, "env", "PATH")
		if !strings.HasPrefix(out, `PATH=C:\windows`) || strings.Count(out, "\n") != 1 {
			t.Fatalf("--preserve-env PATH: the child saw %q", out)
		}
		w.ok(nil, "", "rm", "Path")
	})

	t.Run("Ctrl-C is the child's", func(t *testing.T) {
		w.t = t
		// A console's Ctrl-C reaches envsafe and the child: wine turns a
		// SIGINT to the process group into that.
		if code := w.interrupt(helper, true); code != 42 {
			t.Fatalf("Ctrl-C to both: envsafe exited %d, want the child's 42", code)
		}
		// Ctrl-C to envsafe alone: envsafe stays, the child ends on its
		// own (stdin closed: 7) and envsafe returns that.
		if code := w.interrupt(helper, false); code != 7 {
			t.Fatalf("Ctrl-C to envsafe alone: envsafe exited %d, want the child's 7", code)
		}
	})
}

// interrupt starts `envsafe run -- winhelper interrupt 42`, waits for the
// child to be ready, sends SIGINT to the group (toAll) or to envsafe
// alone, then closes the child's stdin, and returns envsafe's exit code.
func (w *wineLane) interrupt(helper string, toAll bool) int {
	w.t.Helper()
	cmd := w.cmd(nil, "run", "--", helper, "interrupt", "42")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
		io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-ready:
		if !strings.HasPrefix(line, "ready") {
			w.t.Fatalf("child said %q; stderr: %s", line, stderr.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		w.t.Fatal("the child never got ready")
	}
	pid := cmd.Process.Pid
	if toAll {
		pid = -pid
	}
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil {
		w.t.Fatal(err)
	}
	time.Sleep(time.Second)
	stdin.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if exit, ok := err.(*exec.ExitError); ok {
			return exit.ExitCode()
		}
		if err != nil {
			w.t.Fatal(err)
		}
		return 0
	case <-time.After(60 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		w.t.Fatalf("envsafe did not end; stderr: %s", stderr.String())
		return -1
	}
}
