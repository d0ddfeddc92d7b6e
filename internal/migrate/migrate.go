// Package migrate reads the encrypted files of the tools teams move to
// envsafe from — sops (dotenv, YAML and JSON files whose data key is
// wrapped to age recipients) and dotenvx (`encrypted:` values in .env
// files) — and returns their variables in memory, so that `envsafe import`
// never needs a decrypted copy on disk.
//
// Its readers are pure functions: file bytes and keys in, ordered name and
// value pairs out. They read the formats themselves (the sops Go module
// brings every cloud SDK with it) and are tested against the real tools.
// Like the dotenv package, no error or note ever holds a value: errors name
// the file and the key.
package migrate

import (
	"bytes"
	"errors"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/envsafe/envsafe/internal/dotenv"
)

// Kind is the tool that encrypted a file.
type Kind int

const (
	// Plain is a file neither tool encrypted (an ordinary .env).
	Plain Kind = iota
	// Sops is a sops-encrypted dotenv, YAML or JSON file.
	Sops
	// Dotenvx is a .env file with dotenvx `encrypted:` values.
	Dotenvx
)

// ErrIntegrity reports a file whose ciphertext or MAC does not verify:
// changed after it was encrypted, or damaged.
var ErrIntegrity = errors.New("failed its integrity check")

// ErrNoKey reports a file none of the keys at hand can open.
var ErrNoKey = errors.New("no key to decrypt it")

// Result is what a reader found in one file.
type Result struct {
	// Pairs are the variables in file order, with Line set where the
	// format has lines (dotenv) and Note where the value reads differently
	// elsewhere (see the readers).
	Pairs []dotenv.Pair
	// Source says what the file was, for the import report: "sops (YAML,
	// age)" or "dotenvx".
	Source string
	// KeyFile is the .env.keys file the dotenvx keys came from, "" when
	// they came from the environment.
	KeyFile string
	// Clear names the values the file held unencrypted (sops's
	// unencrypted_* rules, a plain line in a dotenvx file): anyone who
	// could change the file could have written them. Unchecked says
	// whether, moreover, no MAC covers them (dotenvx has none; sops's
	// mac_only_encrypted leaves them out).
	Clear     []string
	Unchecked bool
}

// detectors are the patterns Detect and the sops reader use, compiled on
// first use rather than at start-up: every envsafe process would otherwise
// pay for them, and only import and the migrations need them.
type detectors struct {
	sopsDotenvMeta, sopsYAMLMeta, sopsJSONMeta, sopsMAC *regexp.Regexp
	dotenvxValue, dotenvxPublic, sopsValue              *regexp.Regexp
}

var compiled = sync.OnceValue(func() *detectors {
	return &detectors{
		sopsDotenvMeta: regexp.MustCompile(`(?m)^sops_(mac|version|lastmodified)=`),
		sopsYAMLMeta:   regexp.MustCompile(`(?m)^sops:[ \t]*(#.*)?\r?$`),
		sopsJSONMeta:   regexp.MustCompile(`"sops"\s*:\s*\{`),
		sopsMAC:        regexp.MustCompile(`(?m)^\s*"?mac"?\s*:\s*"?ENC\[AES256_GCM,`),
		dotenvxValue:   regexp.MustCompile(`(?m)^\s*(export\s+)?[A-Za-z0-9_.-]+\s*=\s*["'` + "`" + `]?encrypted:`),
		dotenvxPublic:  regexp.MustCompile(`(?m)^\s*(export\s+)?DOTENV_PUBLIC_KEY[A-Za-z0-9_]*\s*=`),
		sopsValue:      regexp.MustCompile(`^ENC\[AES256_GCM,data:([^,]*),iv:([^,]+),tag:([^,]+),type:([a-z]+)\]$`),
	}
})

// Detect tells which tool encrypted data, from its content: sops metadata
// (a `sops` map holding a MAC, or `sops_mac=` lines), or dotenvx values and
// public keys. Anything else is Plain.
func Detect(data []byte) Kind {
	re := compiled()
	switch {
	case re.sopsDotenvMeta.Match(data) && bytes.Contains(data, []byte("sops_mac=ENC[")):
		return Sops
	case (re.sopsYAMLMeta.Match(data) || re.sopsJSONMeta.Match(data)) && re.sopsMAC.Match(data):
		return Sops
	case re.dotenvxValue.Match(data) || re.dotenvxPublic.Match(data):
		return Dotenvx
	}
	return Plain
}

// Leftovers lists what to delete once a file of kind is imported, besides
// the file itself: dotenvx's .env.keys (the private keys), and for sops
// the nearest .sops.yaml above the file (its creation rules), looked up
// from the file's folder to root as sops does. exists reports whether a
// slash-separated path exists; file and root are slash-separated too.
func Leftovers(kind Kind, file, root string, exists func(string) bool) []string {
	switch kind {
	case Dotenvx:
		if keys := path.Join(path.Dir(file), ".env.keys"); exists(keys) {
			return []string{keys}
		}
	case Sops:
		for dir := path.Dir(file); ; dir = path.Dir(dir) {
			for _, name := range []string{".sops.yaml", ".sops.yml"} {
				if p := path.Join(dir, name); exists(p) {
					return []string{p}
				}
			}
			if dir == root || dir == path.Dir(dir) || !strings.HasPrefix(dir, root) {
				break
			}
		}
	}
	return nil
}
