//go:build linux

package hardening

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestNoDump runs helpers in fresh processes, since the flag is per process:
// one calls NoDump and must then read non-dumpable; the control does not and
// must read dumpable, which shows the check can tell the two apart. The
// helper also starts a child, which must be dumpable again (the kernel
// resets the flag on execve): what `envsafe run` relies on.
func TestNoDump(t *testing.T) {
	for _, c := range []struct {
		mode string
		want string
	}{
		{"nodump", "self=false child=true"},
		{"control", "self=true child=true"},
	} {
		t.Run(c.mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
			cmd.Env = append(os.Environ(), "HARDENING_HELPER="+c.mode)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("helper: %v\n%s", err, out)
			}
			if got := strings.TrimSpace(string(out)); !strings.Contains(got, c.want) {
				t.Fatalf("helper says %q, want %q", got, c.want)
			}
		})
	}
}

func TestHelperProcess(t *testing.T) {
	mode := os.Getenv("HARDENING_HELPER")
	switch mode {
	case "":
		t.Skip("helper process only")
	case "child":
		d, err := Dumpable()
		if err != nil {
			t.Fatal(err)
		}
		os.Stdout.WriteString(map[bool]string{true: "true", false: "false"}[d])
		return
	case "nodump":
		if err := NoDump(); err != nil {
			t.Fatal(err)
		}
	}
	self, err := Dumpable()
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	child.Env = append(os.Environ(), "HARDENING_HELPER=child")
	out, err := child.Output()
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	if i := strings.Index(got, "PASS"); i >= 0 {
		got = got[:i]
	}
	os.Stdout.WriteString("self=" + map[bool]string{true: "true", false: "false"}[self] + " child=" + strings.TrimSpace(got) + "\n")
}
