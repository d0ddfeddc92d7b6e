package identity

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/crypt/plugintest"
	"github.com/envsafe/envsafe/internal/keychain"
	"github.com/envsafe/envsafe/internal/trust"
)

func pluginText(t *testing.T) (string, string) {
	t.Helper()
	text, rec, err := plugintest.NewKey(plugintest.Plain)
	if err != nil {
		t.Fatal(err)
	}
	return text, rec
}

func signingPublic(t *testing.T, id *crypt.Identity) string {
	t.Helper()
	key, err := id.SigningKey()
	if err != nil {
		t.Fatalf("signing key: %v", err)
	}
	return trust.PublicKeyText(key)
}

// A plugin identity goes into the keychain like a key, with its public key
// line and a separate signing key, and comes back able to sign with it.
func TestSavePluginIdentityKeepsPublicKeyAndMakesSigningKey(t *testing.T) {
	ctx := context.Background()
	text, rec := pluginText(t)
	kc := keychain.NewMemory()
	saved, err := Save(ctx, kc, text)
	if err != nil {
		t.Fatal(err)
	}
	stored := kc.Entries()[KeychainAccount]
	if !strings.HasPrefix(stored, "# public key: "+rec+"\nAGE-PLUGIN-ENVSAFETEST-1") || strings.Contains(stored, "created by") {
		t.Errorf("keychain entry = %q", stored)
	}
	if kc.Entries()[SigningAccount] == "" {
		t.Fatal("no signing key stored beside the plugin identity")
	}
	r, err := Resolve(ctx, env(nil), kc)
	if err != nil || r.Public() != rec || r.Plugin() != plugintest.Name {
		t.Fatalf("Resolve = %v, %v", r, err)
	}
	if signingPublic(t, r.Identity) != signingPublic(t, saved) {
		t.Error("the resolved identity signs with another key than the saved one")
	}

	// The backup carries the signing key; restoring it keeps the same one,
	// and so does ENVSAFE_IDENTITY set to the backup.
	line, err := SigningLine(ctx, kc, r.Identity)
	if err != nil || !strings.HasPrefix(line, SigningKeyPrefix+" ") {
		t.Fatalf("SigningLine = %q, %v", line, err)
	}
	backup := FileText(stored, r.Public(), "exported") + line
	if strings.Count(backup, "# public key:") != 1 {
		t.Errorf("backup repeats its public key line:\n%s", backup)
	}
	other := keychain.NewMemory()
	restored, err := Save(ctx, other, backup)
	if err != nil {
		t.Fatal(err)
	}
	if signingPublic(t, restored) != signingPublic(t, saved) {
		t.Error("restoring the backup made a new signing key")
	}
	fromEnv, err := Resolve(ctx, env(map[string]string{EnvIdentity: backup}), keychain.NewMemory())
	if err != nil || signingPublic(t, fromEnv.Identity) != signingPublic(t, saved) {
		t.Errorf("ENVSAFE_IDENTITY with the signing line: %v", err)
	}
	path := filepath.Join(t.TempDir(), "hw.txt")
	os.WriteFile(path, []byte(backup), 0o600)
	fromFile, err := Resolve(ctx, env(map[string]string{EnvIdentityFile: path}), keychain.NewMemory())
	if err != nil || signingPublic(t, fromFile.Identity) != signingPublic(t, saved) {
		t.Errorf("ENVSAFE_IDENTITY_FILE with the signing line: %v", err)
	}

	// Without the line it decrypts but cannot sign.
	bare, err := Resolve(ctx, env(map[string]string{EnvIdentity: text}), keychain.NewMemory())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bare.SigningKey(); !errors.Is(err, crypt.ErrCannotSign) {
		t.Errorf("a bare stub signed: %v", err)
	}
	if err := DeleteSigningKey(ctx, kc); err != nil || kc.Entries()[SigningAccount] != "" {
		t.Errorf("DeleteSigningKey: %v", err)
	}
}

func TestPluginIdentityNeedsItsPublicKey(t *testing.T) {
	text, _ := pluginText(t)
	stub := text[strings.Index(text, "AGE-PLUGIN-"):]
	_, err := Save(context.Background(), keychain.NewMemory(), stub)
	if !errors.Is(err, crypt.ErrPluginPublicKey) {
		t.Errorf("Save(stub without recipient) = %v", err)
	}
	_, err = Resolve(context.Background(), env(map[string]string{EnvIdentity: stub}), keychain.NewMemory())
	if !errors.Is(err, ErrNoIdentity) || !errors.Is(err, crypt.ErrPluginPublicKey) {
		t.Errorf("ENVSAFE_IDENTITY stub without recipient: %v", err)
	}
}

// An X25519 identity derives its signing key: a signing line in its text
// changes nothing.
func TestDerivingIdentitiesIgnoreSigningLine(t *testing.T) {
	secret, public := gen(t)
	plain, err := Resolve(context.Background(), env(map[string]string{EnvIdentity: secret}), keychain.NewMemory())
	if err != nil {
		t.Fatal(err)
	}
	withLine := FileText(secret, public, "x") + SigningKeyPrefix + " " + strings.Repeat("A", 43) + "=\n"
	r, err := Resolve(context.Background(), env(map[string]string{EnvIdentity: withLine}), keychain.NewMemory())
	if err != nil {
		t.Fatal(err)
	}
	if signingPublic(t, r.Identity) != signingPublic(t, plain.Identity) {
		t.Error("a signing line replaced an X25519 identity's derived key")
	}
}
