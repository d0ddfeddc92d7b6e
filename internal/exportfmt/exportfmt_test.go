package exportfmt

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/envsafe/envsafe/internal/dotenv"
)

var awkward = []Secret{
	{"A", "plain"},
	{"B", `it's "quoted" and ` + "`back`"},
	{"C", "$HOME ${PATH} $(id) `id` \\n"},
	{"D", "# not a comment"},
	{"E", "line1\nline2\n"},
	{"F", ""},
	{"G", " spaces around "},
	{"H", "ünïcødé ✓ <&>"},
	{"I", "'"},
	{"J", "a=b=c;&|"},
}

func TestJSONParsesBackExactly(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "json", awkward); err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, buf.String())
	}
	for _, s := range awkward {
		if got[s.Name] != s.Value {
			t.Errorf("%s: %q != %q", s.Name, got[s.Name], s.Value)
		}
	}
	if !strings.Contains(buf.String(), "<&>") {
		t.Error("HTML characters were escaped")
	}
	buf.Reset()
	Write(&buf, "json", nil)
	if buf.String() != "{}\n" {
		t.Errorf("empty = %q", buf.String())
	}
}

func TestDotenvParsesBackExactly(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "dotenv", awkward); err != nil {
		t.Fatal(err)
	}
	pairs, err := dotenv.Parse("export", buf.Bytes())
	if err != nil {
		t.Fatalf("envsafe cannot read its own dotenv output: %v", err)
	}
	got := map[string]string{}
	for _, p := range pairs {
		got[p.Name] = p.Value
	}
	for _, s := range awkward {
		if got[s.Name] != s.Value {
			t.Errorf("%s: %q != %q", s.Name, got[s.Name], s.Value)
		}
	}
}

func TestDockerRefusesLineBreaksByName(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, "docker", []Secret{{"OK", "x y"}, {"PEM", "a\nb"}, {"CR", "a\r"}})
	if err == nil || !strings.Contains(err.Error(), "PEM, CR") || strings.Contains(err.Error(), "a\nb") {
		t.Fatalf("err = %v", err)
	}
	if buf.Len() != 0 {
		t.Fatal("partial output written")
	}
	buf.Reset()
	if err := Write(&buf, "docker", []Secret{{"A", "x=y \"q\" $V # c"}}); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "A=x=y \"q\" $V # c\n" {
		t.Fatalf("docker line = %q", buf.String())
	}
}

// npm dotenv names that are no shell names: every format but shell carries
// them; shell refuses them by name, without writing anything.
var npmNames = []Secret{{"app.name", "x"}, {"MY-KEY", "y"}, {"1LEADING_DIGIT", "z"}, {"OK_1", "w"}}

func TestShellRefusesNamesNoShellCanAssign(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, "shell", npmNames)
	if err == nil {
		t.Fatalf("shell export of %v succeeded:\n%s", npmNames, buf.String())
	}
	msg := err.Error()
	if !strings.Contains(msg, "cannot assign app.name, MY-KEY, 1LEADING_DIGIT:") || strings.Contains(msg, "OK_1") {
		t.Errorf("error %q does not name exactly the three names", msg)
	}
	if !strings.Contains(msg, "--format dotenv, json or docker") {
		t.Errorf("error %q does not point at another format", msg)
	}
	if buf.Len() != 0 {
		t.Errorf("partial output written: %q", buf.String())
	}
	for name, want := range map[string]bool{"A": true, "_": true, "_1": true, "a_B9": true, "": false, "9A": false, "A.B": false, "A-B": false, "É": false} {
		if shellName(name) != want {
			t.Errorf("shellName(%q) = %v, want %v", name, !want, want)
		}
	}
}

func TestOtherFormatsCarryNPMNames(t *testing.T) {
	for _, format := range []string{"dotenv", "json", "docker"} {
		var buf bytes.Buffer
		if err := Write(&buf, format, npmNames); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		got := map[string]string{}
		switch format {
		case "json":
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
		case "dotenv":
			pairs, err := dotenv.Parse("export.env", buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pairs {
				got[p.Name] = p.Value
			}
		case "docker":
			for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
				name, value, _ := strings.Cut(line, "=")
				got[name] = value
			}
		}
		for _, s := range npmNames {
			if got[s.Name] != s.Value {
				t.Errorf("%s: %s = %q, want %q\n%s", format, s.Name, got[s.Name], s.Value, buf.String())
			}
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	if err := Write(&bytes.Buffer{}, "yaml", nil); err == nil || !strings.Contains(err.Error(), FormatNames) {
		t.Fatalf("err = %v", err)
	}
}

// TestShellEvalsBackInEveryShell evaluates the shell output in bash, zsh
// and dash and reads each variable back through the environment.
func TestShellEvalsBackInEveryShell(t *testing.T) {
	secrets := append([]Secret{}, awkward...)
	r := rand.New(rand.NewSource(1))
	const alphabet = "ab '\"`$\\#;&|<>(){}[]*?!~=\n\t%é✓"
	for i := range 50 {
		var b strings.Builder
		for range r.Intn(30) {
			b.WriteRune([]rune(alphabet)[r.Intn(len([]rune(alphabet)))])
		}
		secrets = append(secrets, Secret{Name: "R" + string(rune('A'+i/26)) + string(rune('A'+i%26)), Value: b.String()})
	}
	var script bytes.Buffer
	if err := Write(&script, "shell", secrets); err != nil {
		t.Fatal(err)
	}
	shells := []string{"bash", "zsh", "dash"}
	tested := 0
	for _, sh := range shells {
		if _, err := exec.LookPath(sh); err != nil {
			if os.Getenv("ENVSAFE_REQUIRE_SHELLS") == "1" {
				t.Fatalf("%s not installed", sh)
			}
			t.Logf("%s not installed; skipped", sh)
			continue
		}
		tested++
		t.Run(sh, func(t *testing.T) {
			// eval the text, then hand the environment to env -0 so each
			// value comes back byte for byte.
			cmd := exec.Command(sh, "-c", `eval "$(cat)"; exec env -0`)
			cmd.Stdin = bytes.NewReader(script.Bytes())
			cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: %v", sh, err)
			}
			got := map[string]string{}
			for _, kv := range strings.Split(string(out), "\x00") {
				if name, value, ok := strings.Cut(kv, "="); ok {
					got[name] = value
				}
			}
			for _, s := range secrets {
				if got[s.Name] != s.Value {
					t.Errorf("%s: %s = %q, want %q", sh, s.Name, got[s.Name], s.Value)
				}
			}
		})
	}
	if tested == 0 {
		t.Skip("no shell to test with")
	}
}
