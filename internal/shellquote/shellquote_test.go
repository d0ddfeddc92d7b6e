package shellquote

import (
	"os"
	"os/exec"
	"testing"
)

// words are the strings a path or a value may hold that a shell would
// otherwise split, expand or run.
var words = []struct {
	name, in, want string
}{
	{"empty", "", `''`},
	{"plain", "envsafe", `'envsafe'`},
	{"space", "/opt/my tools/envsafe", `'/opt/my tools/envsafe'`},
	{"single quote", "it's", `'it'\''s'`},
	{"only quotes", "''", `''\'''\'''`},
	{"dollar", "$HOME ${X} $(id)", `'$HOME ${X} $(id)'`},
	{"backticks", "`id`", "'`id`'"},
	{"double quotes and backslash", `say "hi" \n \`, `'say "hi" \n \'`},
	{"newline", "a\nb\n", "'a\nb\n'"},
	{"glob and operators", "*?[a] ; | & < > # ~", `'*?[a] ; | & < > # ~'`},
	{"leading dash", "-n", `'-n'`},
	{"utf-8", "été ✓", `'été ✓'`},
}

func TestQuote(t *testing.T) {
	for _, w := range words {
		t.Run(w.name, func(t *testing.T) {
			if got := Quote(w.in); got != w.want {
				t.Errorf("Quote(%q) = %q, want %q", w.in, got, w.want)
			}
		})
	}
}

// TestShellReadsTheWordBack hands each quoted word to real shells, which
// must print the original string byte for byte: the promise Quote makes.
func TestShellReadsTheWordBack(t *testing.T) {
	shells := []string{"sh", "dash", "bash", "zsh"}
	tested := 0
	for _, sh := range shells {
		if _, err := exec.LookPath(sh); err != nil {
			required := os.Getenv("ENVSAFE_REQUIRE_SHELLS") == "1" || (sh == "sh" && os.Getenv("ENVSAFE_REQUIRE_TOOLS") == "1")
			if required {
				t.Fatalf("%s is not installed", sh)
			}
			t.Logf("%s is not installed; skipped", sh)
			continue
		}
		tested++
		t.Run(sh, func(t *testing.T) {
			for _, w := range words {
				out, err := exec.Command(sh, "-c", "printf %s "+Quote(w.in)).Output()
				if err != nil {
					t.Fatalf("%s -c printf %%s %s: %v", sh, Quote(w.in), err)
				}
				if string(out) != w.in {
					t.Errorf("%s read %s back as %q, want %q", sh, Quote(w.in), out, w.in)
				}
			}
		})
	}
	if tested == 0 {
		t.Skip("no POSIX shell installed")
	}
}

// TestQuotedWordsStaySeparate checks that a quoted word is one argument
// however many spaces or newlines it holds, and that two quoted words
// stay two: what a driver command line in git config relies on.
func TestQuotedWordsStaySeparate(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		if os.Getenv("ENVSAFE_REQUIRE_TOOLS") == "1" || os.Getenv("ENVSAFE_REQUIRE_SHELLS") == "1" {
			t.Fatal("sh is not installed")
		}
		t.Skip("sh is not installed")
	}
	a, b := "two  words\nand a line", "it's $x"
	script := `f() { printf '%s:' "$#"; printf '<%s>' "$@"; }; f ` + Quote(a) + " " + Quote(b) + " " + Quote("")
	out, err := exec.Command("sh", "-c", script).Output()
	if err != nil {
		t.Fatalf("sh -c %s: %v", script, err)
	}
	if want := "3:<" + a + "><" + b + "><>"; string(out) != want {
		t.Fatalf("sh read %q, want %q", out, want)
	}
}

func FuzzQuote(f *testing.F) {
	for _, w := range words {
		f.Add(w.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := Quote(s)
		// Unquoting by the POSIX rules must give s back.
		var got []byte
		in := false
		for i := 0; i < len(q); i++ {
			switch {
			case q[i] == '\'':
				in = !in
			case !in && q[i] == '\\' && i+1 < len(q):
				i++
				got = append(got, q[i])
			case !in:
				t.Fatalf("Quote(%q) = %q has %q outside quotes", s, q, q[i])
			default:
				got = append(got, q[i])
			}
		}
		if in || string(got) != s {
			t.Fatalf("Quote(%q) = %q reads back as %q (open quote: %v)", s, q, got, in)
		}
	})
}
