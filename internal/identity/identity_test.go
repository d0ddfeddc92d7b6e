package identity

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/keychain"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func gen(t *testing.T) (string, string) {
	t.Helper()
	s, p, err := crypt.Generate(false)
	if err != nil {
		t.Fatal(err)
	}
	return s, p
}

func TestResolveOrder(t *testing.T) {
	ctx := context.Background()
	envSecret, envPublic := gen(t)
	fileSecret, filePublic := gen(t)
	kcSecret, kcPublic := gen(t)
	path := filepath.Join(t.TempDir(), "key.txt")
	os.WriteFile(path, []byte(FileText(fileSecret, filePublic, "created: now")), 0o600)
	kc := keychain.NewMemory()
	kc.Set(ctx, KeychainAccount, kcSecret)

	cases := []struct {
		name   string
		vars   map[string]string
		public string
		source string
	}{
		{"variable first", map[string]string{EnvIdentity: envSecret, EnvIdentityFile: path}, envPublic, EnvIdentity},
		{"then file", map[string]string{EnvIdentityFile: path}, filePublic, EnvIdentityFile},
		{"then keychain", map[string]string{}, kcPublic, "keychain"},
	}
	for _, c := range cases {
		got, err := Resolve(ctx, env(c.vars), kc)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got.Public() != c.public || !strings.HasPrefix(got.Source, c.source) {
			t.Fatalf("%s: got %s from %s", c.name, got.Public(), got.Source)
		}
	}
}

func TestResolveFailuresAreNoIdentityWithHints(t *testing.T) {
	ctx := context.Background()
	unavailable := keychain.NewMemory()
	unavailable.Err = keychain.ErrUnavailable
	garbage := keychain.NewMemory()
	garbage.Set(ctx, KeychainAccount, "hunter2-not-a-key")
	cases := []struct {
		name     string
		vars     map[string]string
		kc       keychain.Keychain
		wantHint string
	}{
		{"empty variable", map[string]string{EnvIdentity: " "}, keychain.NewMemory(), "unset it"},
		{"bad variable", map[string]string{EnvIdentity: "AGE-SECRET-KEY-1hunter2"}, keychain.NewMemory(), "identity export"},
		{"empty file variable", map[string]string{EnvIdentityFile: ""}, keychain.NewMemory(), "unset it"},
		{"missing file", map[string]string{EnvIdentityFile: "/nonexistent/key.txt"}, keychain.NewMemory(), "identity new --file"},
		{"empty keychain", nil, keychain.NewMemory(), "envsafe identity new"},
		{"no keychain", nil, unavailable, "ENVSAFE_IDENTITY_FILE"},
		{"garbage entry", nil, garbage, "identity import"},
	}
	for _, c := range cases {
		_, err := Resolve(ctx, env(c.vars), c.kc)
		if !errors.Is(err, ErrNoIdentity) {
			t.Errorf("%s: err = %v, want ErrNoIdentity", c.name, err)
			continue
		}
		if h := strings.Join(hint.All(err), " "); !strings.Contains(h, c.wantHint) {
			t.Errorf("%s: hint %q lacks %q", c.name, h, c.wantHint)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: error quotes the secret: %v", c.name, err)
		}
	}
	_, err := Resolve(ctx, env(nil), unavailable)
	if msg := err.Error(); !strings.Contains(msg, EnvIdentity) || !strings.Contains(msg, EnvIdentityFile) {
		t.Errorf("no-keychain error must name both variables: %v", msg)
	}
}

func TestSaveNeverOverwrites(t *testing.T) {
	ctx := context.Background()
	kc := keychain.NewMemory()
	first, firstPublic := gen(t)
	second, _ := gen(t)
	id, err := Save(ctx, kc, "# a comment\n"+first+"\n")
	if err != nil || id.Public() != firstPublic {
		t.Fatalf("Save() = %v, %v", id, err)
	}
	if got := kc.Entries()[KeychainAccount]; got != first {
		t.Fatalf("keychain holds %q, want only the key line", got)
	}
	if _, err := Save(ctx, kc, second); !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), firstPublic) {
		t.Fatalf("second Save: err = %v, want ErrExists naming the kept key", err)
	}
	if got := kc.Entries()[KeychainAccount]; got != first {
		t.Fatal("existing identity was overwritten")
	}
}

func TestNormalizeRefusesNonAgeKeys(t *testing.T) {
	for _, text := range []string{"", "# only comments\n", "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n", "AGE-SECRET-KEY-1BROKEN"} {
		if _, _, err := Normalize(text); err == nil {
			t.Errorf("Normalize(%q) accepted it", text)
		}
	}
}
