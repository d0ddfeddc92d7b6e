package scan

import (
	"strings"
	"testing"
)

func TestIgnorePatterns(t *testing.T) {
	ig := ParseIgnore([]byte(`# fixtures hold fake credentials on purpose
testdata/
*.min.js
/docs/examples/*.md
!docs/examples/keep.md
**/fixtures/**
secret?.txt
vendor/**/LICENSE
\#literal
`))
	cases := map[string]bool{
		"testdata/a.txt":            true,
		"pkg/x/testdata/deep/b.txt": true,
		"testdata":                  false, // a file named testdata: the pattern is for folders
		"app.min.js":                true,
		"web/app.min.js":            true,
		"app.js":                    false,
		"docs/examples/a.md":        true,
		"docs/examples/keep.md":     false,
		"sub/docs/examples/a.md":    false, // anchored to the root
		"docs/examples/sub/a.md":    false,
		"a/fixtures/b/c.json":       true,
		"fixtures/c.json":           true,
		"fixtures":                  false,
		"secret1.txt":               true,
		"secret12.txt":              false,
		"vendor/LICENSE":            true,
		"vendor/a/b/LICENSE":        true,
		"#literal":                  true,
		"main.go":                   false,
	}
	for p, want := range cases {
		if got := ig.Match(p); got != want {
			t.Errorf("Match(%q) = %v, want %v", p, got, want)
		}
	}
	var nilIgnore *Ignore
	if nilIgnore.Match("x") || ParseIgnore(nil).Match("x") {
		t.Fatal("an empty scanignore must match nothing")
	}
}

func TestIgnoreIsNeverSlow(t *testing.T) {
	pat := strings.Repeat("**/a/", 30) + "b"
	path := strings.Repeat("a/", 200) + "c"
	if ParseIgnore([]byte(pat)).Match(path) {
		t.Fatal("matched")
	}
}

func TestIsDotenvFile(t *testing.T) {
	cases := map[string]bool{
		".env": true, "app/.env": true, ".env.production": true, ".env.local": true, ".env-dev": true,
		".env_test": true, ".env.keys": true, ".env.development.local": true,
		".env.example": false, ".env.sample": false, "config/.env.template": false, ".env.production.example": false,
		".env.vault": false, ".envrc": false, ".envsafe": false, "env": false, "production.env.go": false, "x.env": false,
	}
	for p, want := range cases {
		if got := IsDotenvFile(p); got != want {
			t.Errorf("IsDotenvFile(%q) = %v, want %v", p, got, want)
		}
	}
	for p, want := range map[string]bool{
		".envsafe/team.sig": true, ".envsafe/.lock": true, ".envsafe/.production.age.tmp-123": true,
		".envsafe/production.age": false, ".envsafe/team.yaml": false, ".envsafe/scanignore": false,
		".envsafe/.env": false, "sub/.envsafe/readme.md": false, ".envsafe.bak/x.age": false, ".envsafe/deep/x.age": false,
	} {
		if IsEnvsafeFile(p) != want {
			t.Errorf("IsEnvsafeFile(%q) = %v", p, !want)
		}
	}
}
