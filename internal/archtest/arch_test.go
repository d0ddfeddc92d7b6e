package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/envsafe/envsafe"

// owners says which of our packages may import each third-party module.
// A new dependency must be added here, with its one owner.
var owners = map[string]string{
	"filippo.io/age":                 "internal/crypt",
	"golang.org/x/crypto":            "internal/crypt",
	"github.com/zalando/go-keyring":  "internal/keychain",
	"github.com/urfave/cli/v2":       "internal/commands",
	"github.com/manifoldco/promptui": "internal/prompt",
	"github.com/joho/godotenv":       "internal/dotenv",
	"go.yaml.in/yaml/v3":             "internal/team",
	"github.com/gofrs/flock":         "internal/store",
	"golang.org/x/term":              "internal/terminal",
	"golang.org/x/sys":               "internal/hardening",
}

type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func moduleOf(importPath string) (string, bool) {
	for m := range owners {
		if importPath == m || strings.HasPrefix(importPath, m+"/") {
			return m, true
		}
	}
	return "", false
}

func isStdlib(importPath string) bool {
	first, _, _ := strings.Cut(importPath, "/")
	return !strings.Contains(first, ".")
}

func TestEachDependencyHasOneOwner(t *testing.T) {
	importers := map[string][]string{}
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		for _, imp := range p.Imports {
			if isStdlib(imp) || strings.HasPrefix(imp, module) {
				continue
			}
			m, known := moduleOf(imp)
			if !known {
				t.Errorf("%s imports %s, which is not an approved dependency (add it to owners with a reason)", rel, imp)
				continue
			}
			if !slices.Contains(importers[m], rel) {
				importers[m] = append(importers[m], rel)
			}
		}
	}
	for m, pkgs := range importers {
		if len(pkgs) != 1 || pkgs[0] != owners[m] {
			t.Errorf("%s is imported by %v; only %s may import it", m, pkgs, owners[m])
		}
	}
}

func TestLayering(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		for _, imp := range p.Imports {
			if imp == module+"/internal/commands" && rel != "cmd/envsafe" {
				t.Errorf("%s imports the CLI layer internal/commands; only cmd/envsafe may", rel)
			}
		}
		if rel == "cmd/envsafe" {
			for _, imp := range p.Imports {
				if !isStdlib(imp) && !strings.HasPrefix(imp, module) {
					t.Errorf("cmd/envsafe imports %s directly; main must only wire our packages", imp)
				}
			}
		}
	}
}
