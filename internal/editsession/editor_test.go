package editsession

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }

func TestEditorCommandGoesThroughShWithTheSettingInTheEnvironment(t *testing.T) {
	setting := `"/opt/My Editor/ed" -w; rm -rf ~ $(touch pwned)`
	cmd, name, err := editorCommand("linux", setting, "/dev/shm/x/development.env", []string{"EDITOR=old", "ENVSAFE_IDENTITY=k", "A=1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/bin/sh", "-c", shellScript, shellName, "/dev/shm/x/development.env"}
	if cmd.Path != "/bin/sh" || !reflect.DeepEqual(cmd.Args, want) {
		t.Fatalf("command = %s %q", cmd.Path, cmd.Args)
	}
	if strings.Contains(strings.Join(cmd.Args, " "), "My Editor") {
		t.Fatal("the setting was pasted into the script")
	}
	if !reflect.DeepEqual(cmd.Env, []string{"A=1", "EDITOR=" + setting}) {
		t.Fatalf("env = %q", cmd.Env)
	}
	if name != setting {
		t.Fatalf("name = %q", name)
	}
	cmd, _, _ = editorCommand("darwin", "", "f", nil)
	if cmd.Env == nil || cmd.Env[len(cmd.Env)-1] != "EDITOR=vi" {
		t.Fatalf("no setting: env = %q, want EDITOR=vi", cmd.Env)
	}
}

func TestEditorCommandOnWindowsIsDirect(t *testing.T) {
	cmd, name, err := editorCommand("windows", `"C:\Program Files\Ed\ed.exe" --wait`, `C:\T\development.env`, []string{"ENVSAFE_IDENTITY_FILE=k", "A=1"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{`C:\Program Files\Ed\ed.exe`, "--wait", `C:\T\development.env`}; !reflect.DeepEqual(cmd.Args, want) {
		t.Fatalf("args = %q", cmd.Args)
	}
	if name != `C:\Program Files\Ed\ed.exe` {
		t.Fatalf("name = %q", name)
	}
	if !reflect.DeepEqual(cmd.Env, []string{"A=1"}) {
		t.Fatalf("env = %q", cmd.Env)
	}
	for _, bad := range []string{`"unterminated`, "  "} {
		if _, _, err := editorCommand("windows", bad, "f", nil); err == nil || !strings.HasPrefix(err.Error(), "cannot understand the editor command") {
			t.Errorf("editorCommand(%q) error = %v", bad, err)
		}
	}
	if cmd, _, err := editorCommand("windows", "", "f", nil); err != nil || cmd.Args[0] != "notepad" {
		t.Errorf("no setting on Windows: %v, %v; want notepad (Windows has no vi)", cmd, err)
	}
}

func TestSplitCommand(t *testing.T) {
	for in, want := range map[string][]string{
		"vi":                          {"vi"},
		"code --wait":                 {"code", "--wait"},
		`"/Apps/My Editor/bin/ed" -w`: {"/Apps/My Editor/bin/ed", "-w"},
		`subl	-w  'a b'`:              {"subl", "-w", "a b"},
		`""`:                          {""},
		`x"y z"w`:                     {"xy zw"},
		"   ":                         nil,
		`'it"s'`:                      {`it"s`},
	} {
		got, err := splitCommand(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("splitCommand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := splitCommand(`"open`); err == nil {
		t.Error("unterminated quote accepted")
	}
}

func TestWithoutVar(t *testing.T) {
	in := []string{"EDITOR=a", "EDITORS=b", "X=EDITOR=c", "EDITOR="}
	if got := withoutVar(in, "EDITOR"); !reflect.DeepEqual(got, []string{"EDITORS=b", "X=EDITOR=c"}) {
		t.Fatalf("withoutVar = %q", got)
	}
	if in[0] != "EDITOR=a" {
		t.Fatal("withoutVar changed its input")
	}
}
