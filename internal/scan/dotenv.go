package scan

import (
	"path"
	"strings"
)

// isTemplate says whether a suffix marks an .env file meant to be
// committed: examples with placeholder values, and dotenv-vault's
// encrypted file. Their content is still scanned like any file's.
func isTemplate(suffix string) bool {
	switch suffix {
	case "example", "sample", "template", "tmpl", "tpl", "dist", "defaults", "schema", "vault":
		return true
	}
	return false
}

// IsDotenvFile reports whether a path names a plaintext .env file: .env,
// .env.production, .env-local, .env_test and the like, but not templates
// such as .env.example, nor .envrc or .envsafe.
func IsDotenvFile(p string) bool {
	base := path.Base(p)
	rest, ok := strings.CutPrefix(base, ".env")
	if !ok {
		return false
	}
	if rest == "" {
		return true
	}
	if rest[0] != '.' && rest[0] != '-' && rest[0] != '_' {
		return false
	}
	for _, part := range strings.FieldsFunc(strings.ToLower(rest[1:]), func(r rune) bool { return r == '.' || r == '-' || r == '_' }) {
		if isTemplate(part) {
			return false
		}
	}
	return true
}

// IsEnvsafeFile reports a file envsafe itself keeps in an .envsafe folder:
// environment files (ciphertext), team.yaml and team.sig (public keys), its
// .gitignore, lock, scanignore and temporary files. None is ever a finding.
// Anything else in that folder (a stray .env someone put there) is scanned
// like any file.
func IsEnvsafeFile(p string) bool {
	if path.Base(path.Dir(p)) != ".envsafe" {
		return false
	}
	base := path.Base(p)
	switch base {
	case "team.yaml", "team.sig", ".gitignore", ".lock", "scanignore":
		return true
	}
	return strings.HasSuffix(base, ".age") || (strings.HasPrefix(base, ".") && strings.Contains(base, ".tmp-"))
}

// describeDotenv words a dotenv-file finding: dotenvx's .env.keys is not
// an .env file of the program but the private keys of every dotenvx file,
// left behind once they are imported into envsafe.
func describeDotenv(p, desc string) string {
	if path.Base(p) == ".env.keys" {
		return strings.Replace(desc, "plaintext .env file", "dotenvx private keys (.env.keys; after `envsafe import`, delete it)", 1)
	}
	return desc
}
