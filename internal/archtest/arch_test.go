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
	// dotenvx encrypts to secp256k1 keys; the curve is decred's, kept
	// by a team that lives on it, and the one thing migrate does not write.
	"github.com/decred/dcrd/dcrec/secp256k1/v4": "internal/migrate",
}

// alsoOwners names a second owner where two concerns read one format with
// the same library: team.yaml (edited with its comments kept) and sops's
// YAML files (read as sops reads them, with the library sops uses).
var alsoOwners = map[string]string{
	"go.yaml.in/yaml/v3": "internal/migrate",
}

// testOnly are packages that exist for tests: internal/crypt/plugintest is
// an age plugin (built on filippo.io/age/plugin) that the crypt and
// end-to-end tests run, since hardware keys cannot be tested here. They may
// import their dependency beside its owner, and only tests may import them.
var testOnly = map[string]bool{"internal/crypt/plugintest": true}

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
		if testOnly[rel] {
			continue
		}
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
		for _, p := range pkgs {
			if p != owners[m] && p != alsoOwners[m] {
				t.Errorf("%s is imported by %v; only %s may import it", m, pkgs, owners[m])
			}
		}
	}
}

// allowed is the whole map of which of our packages may import which. A
// new edge is a design decision: add it here, in the commit that needs it.
// The CLI layer (internal/commands) is imported by main alone, and nothing
// but the store and the identity and team packages touches internal/crypt:
// an environment file is opened and sealed in one place.
var allowed = map[string][]string{
	"cmd/envsafe":          {"internal/audit", "internal/commands", "internal/gitexec", "internal/hardening", "internal/keychain", "internal/prompt", "internal/runner", "internal/terminal"},
	"pkg/envsafe":          {"internal/identity", "internal/keychain", "internal/store", "internal/team", "internal/payload", "internal/runner", "internal/hint"},
	"internal/commands":    {"internal/atomicfile", "internal/audit", "internal/dotenv", "internal/editsession", "internal/exportfmt", "internal/gitexec", "internal/gitlog", "internal/hint", "internal/identity", "internal/keychain", "internal/migrate", "internal/payload", "internal/prompt", "internal/runner", "internal/scan", "internal/secretgen", "internal/shellquote", "internal/store", "internal/team", "internal/trust"},
	"internal/crypt":       {"internal/hint", "internal/trust"},
	"internal/editsession": {"internal/atomicfile", "internal/dotenv", "internal/hint", "internal/payload", "internal/runner"},
	"internal/exportfmt":   {"internal/dotenv", "internal/shellquote"},
	"internal/gitexec":     {"internal/runner"},
	"internal/gitlog":      {"internal/hint", "internal/payload", "internal/store", "internal/team", "internal/identity"},
	"internal/identity":    {"internal/crypt", "internal/hint", "internal/keychain", "internal/terminal"},
	"internal/keychain":    {"internal/hint"},
	// migrate opens sops's age-wrapped data key (a sops file, never an
	// envsafe environment) with the identity the command resolved.
	"internal/migrate": {"internal/crypt", "internal/dotenv", "internal/hint", "internal/payload"},
	"internal/payload": {"internal/trust"},
	"internal/prompt":  {"internal/terminal"},
	"internal/scan":    {"internal/hint", "internal/dotenv"},
	"internal/store":   {"internal/atomicfile", "internal/crypt", "internal/hint", "internal/payload", "internal/team", "internal/trust"},
	"internal/team":    {"internal/crypt", "internal/trust"},
}

func TestLayering(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			to := strings.TrimPrefix(imp, module+"/")
			if !slices.Contains(allowed[rel], to) {
				t.Errorf("%s imports %s, an edge the architecture does not allow (see allowed in this file)", rel, to)
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

// TestCommandsNeverTouchCiphertext keeps the one open/seal path: a command
// that imported the crypto package could decrypt or encrypt around the
// store's checks (and, later, its signatures).
func TestCommandsNeverTouchCiphertext(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		if rel != "internal/commands" {
			continue
		}
		if slices.Contains(p.Imports, module+"/internal/crypt") {
			t.Errorf("internal/commands imports internal/crypt; open and seal environment files through internal/store")
		}
		return
	}
	t.Fatal("internal/commands not found")
}

// TestTestOnlyPackagesStayInTests keeps the test plugin out of the binary.
func TestTestOnlyPackagesStayInTests(t *testing.T) {
	for _, p := range listPackages(t) {
		for _, imp := range p.Imports {
			if testOnly[strings.TrimPrefix(imp, module+"/")] {
				t.Errorf("%s imports %s, which only tests may import", p.ImportPath, imp)
			}
		}
	}
}
