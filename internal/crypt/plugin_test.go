package crypt

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age/plugin"
	"filippo.io/age/tag"
	"filippo.io/hpke"
	"github.com/envsafe/envsafe/internal/crypt/plugintest"
	"github.com/envsafe/envsafe/internal/hint"
)

// TestMain makes this test binary the age-plugin-envsafetest plugin when
// it is started under that name (installPlugin links it so).
func TestMain(m *testing.M) {
	if plugintest.IsPlugin() {
		os.Exit(plugintest.Main())
	}
	os.Exit(m.Run())
}

// installPlugin puts age-plugin-envsafetest (this test binary) first on PATH.
func installPlugin(t *testing.T) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(self, filepath.Join(dir, "age-plugin-"+plugintest.Name)); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func pluginKey(t *testing.T, mode plugintest.Mode) (*Identity, Recipient) {
	t.Helper()
	text, rec, err := plugintest.NewKey(mode)
	if err != nil {
		t.Fatal(err)
	}
	id, err := ParseIdentity([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if id.Public() != rec || id.Plugin() != plugintest.Name {
		t.Fatalf("plugin identity: public %q plugin %q, want %q %q", id.Public(), id.Plugin(), rec, plugintest.Name)
	}
	r, err := ParseRecipient(rec)
	if err != nil {
		t.Fatal(err)
	}
	return id, r
}

func TestPluginRecipientAndIdentityRoundTrip(t *testing.T) {
	installPlugin(t)
	hw, hwRec := pluginKey(t, plugintest.Plain)
	ci, ciRec := newIdentity(t, false)
	file, err := Encrypt([]byte("secret payload"), []Recipient{hwRec, ciRec})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := StanzaCount(file); err != nil || n != 2 {
		t.Fatalf("StanzaCount = %d, %v; want 2", n, err)
	}
	for name, id := range map[string]*Identity{"plugin": hw, "x25519": ci} {
		got, err := Decrypt(file, id)
		if err != nil || string(got) != "secret payload" {
			t.Errorf("%s identity: %q, %v", name, got, err)
		}
	}
}

func TestPluginAsksOnTheTerminalOnly(t *testing.T) {
	installPlugin(t)
	id, rec := pluginKey(t, plugintest.PIN)
	file, err := Encrypt([]byte("payload"), []Recipient{rec})
	if err != nil {
		t.Fatal(err)
	}

	var asked []string
	id.SetPluginUI(PluginUI{Ask: func(prompt string, secret bool) (string, error) {
		if !secret {
			t.Errorf("a PIN was asked for in the clear")
		}
		asked = append(asked, prompt)
		return plugintest.PINValue, nil
	}})
	if got, err := Decrypt(file, id); err != nil || string(got) != "payload" {
		t.Fatalf("with the PIN: %q, %v", got, err)
	}
	if len(asked) != 1 || !strings.Contains(asked[0], "envsafetest plugin: Enter PIN") {
		t.Errorf("prompts = %q", asked)
	}

	id.SetPluginUI(PluginUI{Ask: func(string, bool) (string, error) { return "000000", nil }})
	_, err = Decrypt(file, id)
	if !errors.Is(err, ErrPluginFailed) || !strings.Contains(err.Error(), "wrong PIN") || errors.Is(err, ErrCorrupt) {
		t.Errorf("wrong PIN: %v", err)
	}

	// No terminal: a clear error that says what was asked, not the plugin's
	// own wording about a failed read.
	id.SetPluginUI(PluginUI{})
	_, err = Decrypt(file, id)
	if !errors.Is(err, ErrNoTerminal) || !strings.Contains(err.Error(), `age-plugin-envsafetest asked "Enter PIN`) {
		t.Errorf("no terminal: %v", err)
	}
	if hints := hint.All(err); len(hints) != 1 || !strings.Contains(hints[0], "/dev/tty") {
		t.Errorf("no terminal hints = %q", hints)
	}
}

func TestPluginMessagesAndFailures(t *testing.T) {
	installPlugin(t)
	id, rec := pluginKey(t, plugintest.Message)
	file, err := Encrypt([]byte("payload"), []Recipient{rec})
	if err != nil {
		t.Fatal(err)
	}
	var shown []string
	id.SetPluginUI(PluginUI{Message: func(s string) { shown = append(shown, s) }})
	if _, err := Decrypt(file, id); err != nil {
		t.Fatal(err)
	}
	if len(shown) != 1 || shown[0] != "envsafetest plugin: touch your envsafetest key" {
		t.Errorf("messages = %q", shown)
	}

	failing, rec := pluginKey(t, plugintest.Fail)
	file, err = Encrypt([]byte("payload"), []Recipient{rec})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Decrypt(file, failing)
	if !errors.Is(err, ErrPluginFailed) || err.Error() != "age-plugin-envsafetest failed: "+plugintest.FailMessage {
		t.Errorf("failing plugin: %v", err)
	}
}

func TestMissingPlugin(t *testing.T) {
	installPlugin(t)
	id, rec := pluginKey(t, plugintest.Plain)
	file, err := Encrypt([]byte("payload"), []Recipient{rec})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir())
	for what, err := range map[string]error{
		"decrypt": func() error { _, err := Decrypt(file, id); return err }(),
		"encrypt": func() error { _, err := Encrypt([]byte("x"), []Recipient{rec}); return err }(),
	} {
		if !errors.Is(err, ErrPluginMissing) || errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v", what, err)
			continue
		}
		if hints := hint.All(err); len(hints) != 1 || !strings.Contains(hints[0], "install age-plugin-envsafetest") {
			t.Errorf("%s hints = %q", what, hints)
		}
	}
	yk, err := ParseRecipient(plugin.EncodeRecipient("yubikey", []byte("a P-256 key")))
	if err == nil {
		_, err = Encrypt([]byte("x"), []Recipient{yk})
	}
	if hints := hint.All(err); !errors.Is(err, ErrPluginMissing) || len(hints) != 1 || !strings.Contains(hints[0], "github.com/str4d/age-plugin-yubikey") {
		t.Errorf("yubikey: %v %q", err, hints)
	}
}

func TestForeignStanzasNeedAPluginRecipient(t *testing.T) {
	installPlugin(t)
	_, hwRec := pluginKey(t, plugintest.Plain)
	_, ciRec := newIdentity(t, false)
	outsider, _ := newIdentity(t, false)
	file, err := Encrypt([]byte("payload"), []Recipient{hwRec, ciRec})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Decrypt(file, outsider)
	var fe *ForeignStanzasError
	if !errors.As(err, &fe) || fe.Count != 1 || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("outsider: %v", err)
	}
	// team.yaml lists one plugin key: its stanza is expected.
	if got := Expected(err, 1); got != ErrNoMatch {
		t.Errorf("Expected(err, 1) = %v", got)
	}
	// Listing none, it stays an integrity failure.
	if got := Expected(err, 0); !errors.Is(got, ErrCorrupt) {
		t.Errorf("Expected(err, 0) = %v", got)
	}
	if !PluginRecipient(hwRec.String()) || PluginRecipient(ciRec.String()) || PluginRecipient(tagClassic) {
		t.Error("PluginRecipient misclassifies")
	}
}

// tagClassic is age's tagtest plugin's fixed age1tag1 recipient (from
// filippo.io/age/tag/internal/age-plugin-tagtest).
const tagClassic = plugintest.TagtestRecipient

func TestTaggedRecipients(t *testing.T) {
	tagged, err := ParseRecipient(tagClassic)
	if err != nil || tagged.PostQuantum() || tagged.String() != tagClassic {
		t.Fatalf("age1tag1: %v %v", tagged, err)
	}
	ci, ciRec := newIdentity(t, false)
	file, err := Encrypt([]byte("payload"), []Recipient{tagged, ciRec})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Decrypt(file, ci); err != nil || string(got) != "payload" {
		t.Fatalf("x25519 member of a mixed file: %q %v", got, err)
	}
	// p256tag is a kind age knows: an outsider is simply not a recipient.
	outsider, _ := newIdentity(t, false)
	if _, err := Decrypt(file, outsider); err != ErrNoMatch {
		t.Errorf("outsider: %v", err)
	}
	if _, err := ParseRecipient("age1tag1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"); err == nil {
		t.Error("a malformed age1tag1 recipient parsed")
	}
	if _, err := ParseRecipient("age1yubikey1notbech32"); err == nil {
		t.Error("a malformed plugin recipient parsed")
	}
}

func TestTaggedPostQuantumDoesNotMixWithClassic(t *testing.T) {
	_, pqRec := newIdentity(t, true)
	_, classic := newIdentity(t, false)
	tagged, err := ParseRecipient(tagClassic)
	if err != nil {
		t.Fatal(err)
	}
	k, err := hpke.MLKEM768P256().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	hybrid, err := tag.NewHybridRecipient(k.PublicKey().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	taggedPQ, err := ParseRecipient(hybrid.String())
	if err != nil || !taggedPQ.PostQuantum() || !strings.HasPrefix(taggedPQ.String(), "age1tagpq1") {
		t.Fatalf("age1tagpq1: %v", err)
	}
	for _, c := range []struct {
		name string
		rs   []Recipient
		ok   bool
	}{
		{"age1pq1 + age1tag1", []Recipient{pqRec, tagged}, false},
		{"age1tagpq1 + age1", []Recipient{taggedPQ, classic}, false},
		{"age1tag1 + age1", []Recipient{tagged, classic}, true},
		{"age1tagpq1 + age1pq1", []Recipient{taggedPQ, pqRec}, true},
	} {
		_, err := Encrypt([]byte("x"), c.rs)
		if c.ok != (err == nil) || (!c.ok && !errors.Is(err, ErrMixedPostQuantum)) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestPluginIdentityText(t *testing.T) {
	text, rec, err := plugintest.NewKey(plugintest.Plain)
	if err != nil {
		t.Fatal(err)
	}
	stub := text[strings.Index(text, "AGE-PLUGIN-"):]
	if _, err := ParseIdentity([]byte(stub)); !errors.Is(err, ErrPluginPublicKey) {
		t.Errorf("stub without its recipient: %v", err)
	}
	// age-plugin-se writes "# public key:", yubikey and tpm "# Recipient:",
	// indented and in any case.
	for _, line := range []string{"# public key: " + rec, "#    Recipient: " + rec, "# RECIPIENT: " + rec} {
		id, err := ParseIdentity([]byte(line + "\r\n" + stub))
		if err != nil || id.Public() != rec {
			t.Errorf("%q: %v", line, err)
		}
	}
	if _, err := ParseIdentity([]byte("# public key: age1nope\n" + stub)); err == nil {
		t.Error("a bad public key line was accepted")
	}
	if _, err := ParseIdentity([]byte("AGE-PLUGIN-ENVSAFETEST-1QQQQ\n")); err == nil || strings.Contains(err.Error(), "QQQQ") {
		t.Errorf("a bad stub: %v", err)
	}
}

func TestPluginIdentitySigningKey(t *testing.T) {
	id, _ := pluginKey(t, plugintest.Plain)
	if _, err := id.SigningKey(); !errors.Is(err, ErrCannotSign) {
		t.Fatalf("a plugin identity signed without a key beside it: %v", err)
	}
	seed := make([]byte, SigningSeedSize)
	rand.Read(seed)
	if err := id.UseSigningKey(seed); err != nil {
		t.Fatal(err)
	}
	key, err := id.SigningKey()
	if err != nil || !bytes.Equal(key.Seed(), seed) {
		t.Fatalf("signing key: %v", err)
	}
	x, _ := newIdentity(t, false)
	if err := x.UseSigningKey(seed); err == nil {
		t.Error("an X25519 identity took a second signing key")
	}
}
