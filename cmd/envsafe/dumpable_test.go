//go:build linux

package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestNotDumpableWhileHoldingSecrets checks, from outside, what
// prctl(PR_SET_DUMPABLE, 0) promises: while envsafe holds decrypted secrets
// (here: `envsafe edit` waiting for its editor), the kernel hands its /proc
// files to root, so another process of the same user can no longer read its
// memory or environment; and the program `envsafe run` starts is an
// ordinary, dumpable process again. /proc/PID/status of a dumpable process
// belongs to the process's user, which the editor itself shows (the control).
//
// The processes run as an unprivileged user — nobody when the test runs as
// root, since everything under /proc looks root's to root anyway.
func TestNotDumpableWhileHoldingSecrets(t *testing.T) {
	uid, gid := os.Getuid(), os.Getgid()
	var cred *syscall.Credential
	if uid == 0 {
		uid, gid = 65534, 65534
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	base, err := os.MkdirTemp("", "envsafe-dumpable-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	dirs := map[string]string{}
	for _, d := range []string{"bin", "project", "home", "tmp", "out"} {
		dirs[d] = filepath.Join(base, d)
		if err := os.Mkdir(dirs[d], 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dirs[d], uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dirs["bin"], "envsafe")
	copyFile(t, envsafeBinary(t), bin, 0o755)
	editor := filepath.Join(dirs["bin"], "probe-editor")
	script := "#!/bin/sh\nstat -c %u /proc/$PPID/status > " + dirs["out"] + "/envsafe\nstat -c %u /proc/$$/status > " + dirs["out"] + "/editor\n"
	if err := os.WriteFile(editor, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}

	keyFile := filepath.Join(t.TempDir(), "key.txt")
	if out, err := exec.Command(bin, "identity", "new", "--file", keyFile).CombinedOutput(); err != nil {
		t.Fatalf("identity new: %v\n%s", err, out)
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dirs["project"]
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dirs["home"], "TMPDIR=" + dirs["tmp"],
			"ENVSAFE_IDENTITY=" + string(key), "EDITOR=" + editor}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		out, err := cmd.Output()
		if err != nil {
			stderr := ""
			if exit, ok := err.(*exec.ExitError); ok {
				stderr = string(exit.Stderr)
			}
			t.Fatalf("envsafe %s as uid %d: %v\n%s", strings.Join(args, " "), uid, err, stderr)
		}
		return string(out)
	}
	run("init", "--name", "alice")
	run("set", "API_KEY=not-for-other-processes")

	run("edit")
	owner := func(name string) int {
		data, err := os.ReadFile(filepath.Join(dirs["out"], name))
		if err != nil {
			t.Fatalf("the editor did not run: %v", err)
		}
		n, _ := strconv.Atoi(strings.TrimSpace(string(data)))
		return n
	}
	if got := owner("editor"); got != uid {
		t.Fatalf("control: the editor's own /proc files belong to uid %d, want %d (its user)", got, uid)
	}
	if got := owner("envsafe"); got != 0 {
		t.Errorf("while envsafe holds secrets its /proc files belong to uid %d: it is dumpable", got)
	}

	// run: envsafe execs the program, which keeps the PID but is dumpable.
	if got := strings.TrimSpace(run("run", "--", "sh", "-c", "stat -c %u /proc/$$/status")); got != strconv.Itoa(uid) {
		t.Errorf("the program started by run has /proc files of uid %s, want %d: it is not dumpable", got, uid)
	}
}

func copyFile(t *testing.T, from, to string, perm os.FileMode) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
