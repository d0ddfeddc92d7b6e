package scan

import (
	"bytes"
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

// IsEnvsafeFile reports a file envsafe itself keeps in an .envsafe folder
// whose content is never a finding: team.sig (public keys and
// signatures), its .gitignore, lock and temporary files. Environment files
// (*.age) are scanned without their armor lines (ScanText below), and
// team.yaml and scanignore like any file: a value pasted into a comment
// there, or plaintext saved under a .age name, is found.
func IsEnvsafeFile(p string) bool {
	if path.Base(path.Dir(p)) != ".envsafe" {
		return false
	}
	base := path.Base(p)
	switch base {
	case "team.sig", "team.sig.pending", ".gitignore", ".lock":
		return true
	}
	return strings.HasPrefix(base, ".") && strings.Contains(base, ".tmp-")
}

// IsEnvironmentFile reports an .envsafe/NAME.age path.
func IsEnvironmentFile(p string) bool {
	return path.Base(path.Dir(p)) == ".envsafe" && strings.HasSuffix(p, ".age")
}

// withoutArmor blanks, in an environment file's text, every line age's
// armor can hold (its BEGIN and END lines, and base64 lines of at most 64
// characters with padding only at the end), keeping the line count. A real
// environment file is left empty; plaintext saved under its name is not.
// A short base64-looking line (a bare token whose length is a multiple of
// four) passes as armor: what remains unseen.
func withoutArmor(t Text) Text {
	if bytes.HasPrefix(t.Data, []byte("age-encryption.org/v1\n")) {
		return Text{Commit: t.Commit, Path: t.Path} // binary age: ciphertext
	}
	lines := bytes.SplitAfter(t.Data, []byte("\n"))
	out := make([]byte, 0, len(t.Data))
	for _, line := range lines {
		body := bytes.TrimRight(line, "\r\n")
		if isArmorLine(body) {
			out = append(out, line[len(body):]...)
			continue
		}
		out = append(out, line...)
	}
	t.Data = out
	return t
}

func isArmorLine(l []byte) bool {
	switch string(l) {
	case "", "-----BEGIN AGE ENCRYPTED FILE-----", "-----END AGE ENCRYPTED FILE-----":
		return true
	}
	if len(l) > 64 || len(l)%4 != 0 {
		return false
	}
	pad := len(l) - len(bytes.TrimRight(l, "="))
	if pad > 2 {
		return false
	}
	for _, c := range l[:len(l)-pad] {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
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
