package migrate

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/dotenv"
)

// The fixtures in testdata were written by the real tools, sops 3.13.3 and
// dotenvx 2.38.2, with throwaway keys that are checked in beside them
// (testdata/sops/age-key.txt, testdata/dotenvx/.env.keys). realtools_test.go
// makes new ones on every CI run.

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func fixtureIdentity(t *testing.T) *crypt.Identity {
	t.Helper()
	id, err := crypt.ParseIdentity(readFixture(t, "sops/age-key.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func values(pairs []dotenv.Pair) [][2]string {
	var out [][2]string
	for _, p := range pairs {
		out = append(out, [2]string{p.Name, p.Value})
	}
	return out
}

func TestDetect(t *testing.T) {
	for file, want := range map[string]Kind{
		"sops/enc.env": Sops, "sops/enc.yaml": Sops, "sops/enc.json": Sops, "sops/list.enc.yaml": Sops,
		"sops/plain.env": Plain, "sops/plain.yaml": Plain, "sops/plain.json": Plain,
		"dotenvx/.env": Dotenvx, "dotenvx/.env.production": Dotenvx, "dotenvx/plain.env": Plain,
	} {
		if got := Detect(readFixture(t, file)); got != want {
			t.Errorf("Detect(%s) = %v, want %v", file, got, want)
		}
	}
}

func TestReadSops(t *testing.T) {
	id := fixtureIdentity(t)
	for _, tc := range []struct {
		file, source string
		want         [][2]string
	}{
		// What `sops decrypt --output-type json` prints for these files,
		// flattened, scalars as `sops exec-env` passes them.
		{"sops/enc.env", "sops (dotenv, age)", [][2]string{
			{"DB_PASSWORD", `pa$$w#rd "q" 'x'`}, {"MULTI", "line1\nline2"}, {"UNI", "héllo ✓ 日本"}, {"EMPTY", ""}, {"TOKEN_unencrypted", "visible"}}},
		{"sops/enc.yaml", "sops (YAML, age)", [][2]string{
			{"database_password", `pa$$w#rd "q" 'x'`}, {"database_port", "5432"}, {"database_ratio", "1.5"}, {"database_enabled", "true"},
			{"multi", "line1\nline2\n"}, {"uni", "héllo ✓"}, {"empty", ""}}},
		{"sops/enc.json", "sops (JSON, age)", [][2]string{
			{"api_key", `k$1#"x"`}, {"api_n", "3"}, {"uni", "héllo ✓"}, {"multi", "a\nb"}}},
	} {
		res, err := ReadSops(tc.file, readFixture(t, tc.file), id)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if got := values(res.Pairs); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.file, got, tc.want)
		}
		if res.Source != tc.source {
			t.Errorf("%s: source %q, want %q", tc.file, res.Source, tc.source)
		}
	}
}

func TestReadSopsDotenvNotesQuotedValue(t *testing.T) {
	res, err := ReadSops("enc.env", readFixture(t, "sops/enc.env"), fixtureIdentity(t))
	if err != nil {
		t.Fatal(err)
	}
	if res.Pairs[0].Note == "" || strings.Contains(res.Pairs[0].Note, "pa$$") {
		t.Errorf("DB_PASSWORD note = %q: want a warning that npm dotenv reads it differently, without the value", res.Pairs[0].Note)
	}
	if res.Pairs[2].Note != "" {
		t.Errorf("UNI note = %q, want none", res.Pairs[2].Note)
	}
}

// TestReadSopsTampered mounts the attacks the MAC and the per-value
// additional data stop: a value moved under another key, a key removed,
// a plaintext value slipped in, the MAC itself changed. (sops's MAC covers
// values, not names: a new name with an empty value passes sops's check,
// and envsafe's, as the real sops 3.13.3 shows; the import report lists
// every name it stores.)
func TestReadSopsTampered(t *testing.T) {
	id := fixtureIdentity(t)
	orig := string(readFixture(t, "sops/enc.env"))
	lines := strings.Split(orig, "\n")
	valueOf := func(name string) string {
		for _, l := range lines {
			if v, ok := strings.CutPrefix(l, name+"="); ok {
				return v
			}
		}
		t.Fatalf("no %s in fixture", name)
		return ""
	}
	without := func(name string) string {
		var keep []string
		for _, l := range lines {
			if !strings.HasPrefix(l, name+"=") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	for what, data := range map[string]string{
		"swapped values": strings.Replace(strings.Replace(orig, "MULTI="+valueOf("MULTI"), "MULTI="+valueOf("UNI"), 1), "UNI="+valueOf("UNI"), "UNI="+valueOf("MULTI"), 1),
		"removed key":    without("UNI"),
		"plaintext in":   strings.Replace(orig, "UNI="+valueOf("UNI"), "UNI=attacker", 1),
		"unencrypted":    strings.Replace(orig, "TOKEN_unencrypted=visible", "TOKEN_unencrypted=changed", 1),
		"mac changed":    strings.Replace(orig, "sops_mac=ENC[AES256_GCM,data:", "sops_mac=ENC[AES256_GCM,data:AA", 1),
	} {
		if data == orig {
			t.Fatalf("%s: fixture not changed", what)
		}
		_, err := ReadSops("enc.env", []byte(data), id)
		if !errors.Is(err, ErrIntegrity) {
			t.Errorf("%s: err = %v, want ErrIntegrity", what, err)
		}
		if err != nil && (strings.Contains(err.Error(), "line1") || strings.Contains(err.Error(), "héllo")) {
			t.Errorf("%s: error shows a value: %v", what, err)
		}
	}
	// A change sops's MAC covers in YAML: the order of keys.
	y := string(readFixture(t, "sops/enc.yaml"))
	i, j := strings.Index(y, "\nmulti:"), strings.Index(y, "\nuni:")
	k := strings.Index(y[j+1:], "\n") + j + 1
	reordered := y[:i] + y[j:k] + y[i:j] + y[k:]
	if _, err := ReadSops("enc.yaml", []byte(reordered), id); !errors.Is(err, ErrIntegrity) {
		t.Errorf("reordered YAML keys: err = %v, want ErrIntegrity", err)
	}
}

func TestReadSopsWrongKey(t *testing.T) {
	secret, _, err := crypt.Generate(false)
	if err != nil {
		t.Fatal(err)
	}
	other, err := crypt.ParseIdentity([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ReadSops("enc.json", readFixture(t, "sops/enc.json"), other)
	if !errors.Is(err, ErrNoKey) || !strings.Contains(err.Error(), "not to your key") {
		t.Errorf("err = %v, want a not-your-key ErrNoKey", err)
	}
}

func TestReadSopsRefusesWhatHasNoEnvForm(t *testing.T) {
	_, err := ReadSops("list.enc.yaml", readFixture(t, "sops/list.enc.yaml"), fixtureIdentity(t))
	if err == nil || !strings.Contains(err.Error(), `["hosts"] is a list`) {
		t.Errorf("err = %v, want the list refused by name", err)
	}
}

func TestReadSopsOnlyKMS(t *testing.T) {
	data := strings.NewReplacer("sops_age__list_0__map_enc", "sops_kms__list_0__map_enc", "sops_age__list_0__map_recipient", "sops_kms__list_0__map_arn").
		Replace(string(readFixture(t, "sops/enc.env")))
	_, err := ReadSops("enc.env", []byte(data), fixtureIdentity(t))
	if !errors.Is(err, ErrNoKey) || !strings.Contains(err.Error(), "AWS KMS") {
		t.Errorf("err = %v, want the KMS-only file named as such", err)
	}
}

func TestFlattenCollision(t *testing.T) {
	leaves := []leaf{{path: []string{"a_b"}, value: "1"}, {path: []string{"a", "b"}, value: "2"}}
	_, err := flatten("f.yaml", leaves, []any{"1", "2"}, false)
	if err == nil || !strings.Contains(err.Error(), `["a_b"] and ["a"]["b"] both become a_b`) {
		t.Errorf("err = %v, want the collision named", err)
	}
}

func dotenvxKeys(t *testing.T, env map[string]string) DotenvxKeys {
	return DotenvxKeys{
		Lookup:   func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		File:     readFixture(t, "dotenvx/.env.keys"),
		FileName: "testdata/dotenvx/.env.keys",
	}
}

func TestReadDotenvx(t *testing.T) {
	for _, tc := range []struct{ enc, plain string }{
		{"dotenvx/.env", "dotenvx/plain.env"},
		{"dotenvx/.env.production", "dotenvx/plain.env.production"},
	} {
		res, err := ReadDotenvx(tc.enc, readFixture(t, tc.enc), dotenvxKeys(t, nil))
		if err != nil {
			t.Fatalf("%s: %v", tc.enc, err)
		}
		// The plaintext the file was encrypted from, as npm dotenv reads it.
		want, err := dotenv.Parse(tc.plain, readFixture(t, tc.plain))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := values(res.Pairs), values(want); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.enc, got, want)
		}
		if res.KeyFile != "testdata/dotenvx/.env.keys" {
			t.Errorf("%s: key file %q", tc.enc, res.KeyFile)
		}
	}
}

func TestReadDotenvxKeyFromEnvironment(t *testing.T) {
	keys := dotenvxKeys(t, nil)
	pairs, err := dotenv.Parse("keys", keys.File)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, p := range pairs {
		env[p.Name] = p.Value
	}
	res, err := ReadDotenvx(".env", readFixture(t, "dotenvx/.env"), DotenvxKeys{Lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	if res.KeyFile != "" || len(res.Pairs) != 8 {
		t.Errorf("key file %q, %d pairs", res.KeyFile, len(res.Pairs))
	}
}

func TestReadDotenvxWrongOrMissingKey(t *testing.T) {
	wrong := "4530cfb174df9bfa0240a141713eb7169191353ae1879ef635a3a9c83b30d50b"
	_, err := ReadDotenvx(".env", readFixture(t, "dotenvx/.env"), dotenvxKeys(t, map[string]string{"DOTENV_PRIVATE_KEY": wrong}))
	if !errors.Is(err, ErrNoKey) || !strings.Contains(err.Error(), "DOTENV_PRIVATE_KEY (from the environment) is the wrong key") || strings.Contains(err.Error(), wrong) {
		t.Errorf("wrong key: err = %v", err)
	}
	_, err = ReadDotenvx(".env.production", readFixture(t, "dotenvx/.env.production"), DotenvxKeys{})
	if !errors.Is(err, ErrNoKey) || !strings.Contains(err.Error(), "DOTENV_PRIVATE_KEY_PRODUCTION is missing") {
		t.Errorf("missing key: err = %v", err)
	}
}

func TestReadDotenvxTampered(t *testing.T) {
	data := string(readFixture(t, "dotenvx/.env"))
	i := strings.Index(data, "PLAIN=encrypted:") + len("PLAIN=encrypted:") + 100
	b := []byte(data)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	_, err := ReadDotenvx(".env", b, dotenvxKeys(t, nil))
	if !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), "PLAIN") {
		t.Errorf("err = %v, want PLAIN named as failing", err)
	}
}

func TestPrivateKeyNameFor(t *testing.T) {
	for file, want := range map[string]string{".env": "DOTENV_PRIVATE_KEY", "a/.env.production": "DOTENV_PRIVATE_KEY_PRODUCTION",
		".env.development.local": "DOTENV_PRIVATE_KEY_DEVELOPMENT_LOCAL", "secrets.env": "DOTENV_PRIVATE_KEY"} {
		if got := privateKeyNameFor(file); got != want {
			t.Errorf("%s: %s, want %s", file, got, want)
		}
	}
}

func TestLeftovers(t *testing.T) {
	files := map[string]bool{"/p/.sops.yaml": true, "/p/app/.env.keys": true}
	exists := func(p string) bool { return files[p] }
	if got := Leftovers(Sops, "/p/app/secrets.enc.yaml", "/p", exists); !reflect.DeepEqual(got, []string{"/p/.sops.yaml"}) {
		t.Errorf("sops: %q", got)
	}
	if got := Leftovers(Sops, "/q/secrets.enc.yaml", "/q", exists); got != nil {
		t.Errorf("sops outside: %q", got)
	}
	if got := Leftovers(Dotenvx, "/p/app/.env", "/p", exists); !reflect.DeepEqual(got, []string{"/p/app/.env.keys"}) {
		t.Errorf("dotenvx: %q", got)
	}
}
