package crypt

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"io"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"
	"golang.org/x/crypto/ssh"
)

func newIdentity(t testing.TB, pq bool) (*Identity, Recipient) {
	t.Helper()
	secret, public, err := Generate(pq)
	if err != nil {
		t.Fatal(err)
	}
	id, err := ParseIdentity([]byte("# created by a test\n" + secret + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if id.Public() != public {
		t.Fatalf("public key of parsed identity %q != generated %q", id.Public(), public)
	}
	r, err := ParseRecipient(public)
	if err != nil {
		t.Fatal(err)
	}
	return id, r
}

func TestRoundTripEachKeyKind(t *testing.T) {
	sshPriv := sshEd25519Key(t)
	sshID, err := ParseIdentity(sshPriv)
	if err != nil {
		t.Fatal(err)
	}
	sshRecipient, err := ParseRecipient(sshID.Public() + " alice@laptop")
	if err != nil {
		t.Fatal(err)
	}
	if sshRecipient.String() != sshID.Public() {
		t.Fatalf("ssh recipient keeps its comment: %q", sshRecipient.String())
	}
	x, xr := newIdentity(t, false)
	pq, pqr := newIdentity(t, true)
	if !pqr.PostQuantum() || xr.PostQuantum() {
		t.Fatal("PostQuantum() mislabels recipients")
	}
	cases := []struct {
		name string
		id   *Identity
		r    Recipient
	}{{"x25519", x, xr}, {"post-quantum", pq, pqr}, {"ssh-ed25519", sshID, sshRecipient}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg := []byte(`{"secrets":{"A":"1"}}`)
			file, err := Encrypt(msg, []Recipient{c.r})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(file, []byte("-----BEGIN AGE ENCRYPTED FILE-----\n")) {
				t.Fatalf("not armored: %q", file[:40])
			}
			got, err := Decrypt(file, c.id)
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("Decrypt() = %q, %v", got, err)
			}
		})
	}
}

func TestDecryptTellsNotRecipientFromDamage(t *testing.T) {
	alice, ar := newIdentity(t, false)
	bob, _ := newIdentity(t, false)
	file, err := Encrypt([]byte("secret payload"), []Recipient{ar})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decrypt(file, bob); !errors.Is(err, ErrNoMatch) {
		t.Fatalf("other identity: err = %v, want ErrNoMatch", err)
	}
	lines := strings.Split(strings.TrimSpace(string(file)), "\n")
	body := lines[len(lines)-2]
	flipped := strings.Replace(string(file), body, flipBase64(body), 1)
	damaged := map[string][]byte{
		"flipped body byte": []byte(flipped),
		"truncated":         file[:len(file)/2],
		"plain text":        []byte("API_KEY=123\n"),
		"empty":             nil,
		"armor without end": []byte(strings.Join(lines[:len(lines)-1], "\n")),
	}
	for name, data := range damaged {
		got, err := Decrypt(data, alice)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt", name, err)
		}
		if got != nil {
			t.Errorf("%s: released %d bytes of plaintext", name, len(got))
		}
	}
}

func TestEncryptRefusesMixingPostQuantumAndClassic(t *testing.T) {
	_, classic := newIdentity(t, false)
	_, pq := newIdentity(t, true)
	_, err := Encrypt([]byte("x"), []Recipient{pq, classic})
	if !errors.Is(err, ErrMixedPostQuantum) {
		t.Fatalf("err = %v, want ErrMixedPostQuantum", err)
	}
}

func TestParseErrorsNeverQuoteKeys(t *testing.T) {
	secret, _, _ := Generate(false)
	broken := secret[:len(secret)-3] + "!!!"
	_, err := ParseIdentity([]byte(broken))
	if err == nil {
		t.Fatal("accepted a broken key")
	}
	if strings.Contains(err.Error(), broken[16:30]) || strings.Contains(err.Error(), "!") {
		t.Fatalf("error quotes the key: %v", err)
	}
	if _, err := ParseRecipient("age1notakey"); err == nil {
		t.Fatal("accepted a broken recipient")
	}
	if _, err := ParseRecipient("pgp:1234"); err == nil || !strings.Contains(err.Error(), "expected age1") {
		t.Fatalf("unknown type error does not say what is expected: %v", err)
	}
}

func TestPassphraseProtectedSSHKeyIsExplained(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParseIdentity(pem.EncodeToMemory(block))
	if err == nil || !strings.Contains(err.Error(), "passphrase") {
		t.Fatalf("err = %v, want a passphrase explanation", err)
	}
}

func sshEd25519Key(t *testing.T) []byte {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(block)
}

// flipBase64 changes one character of a base64 line to another valid one.
func flipBase64(line string) string {
	b := []byte(line)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// TestDecryptRefusesStanzasEnvsafeNeverWrites: age skips recipient stanzas
// it does not know, so a changed type in one's own stanza, or a file
// encrypted with a passphrase, would otherwise read as "not a recipient".
func TestDecryptRefusesStanzasEnvsafeNeverWrites(t *testing.T) {
	alice, ar := newIdentity(t, false)
	file, err := Encrypt([]byte("secret payload"), []Recipient{ar})
	if err != nil {
		t.Fatal(err)
	}
	bin, err := io.ReadAll(armor.NewReader(bytes.NewReader(file)))
	if err != nil {
		t.Fatal(err)
	}
	renamed := bytes.Replace(bin, []byte("\n-> X25519 "), []byte("\n-> X25518 "), 1)
	if bytes.Equal(renamed, bin) {
		t.Fatal("no X25519 stanza found")
	}
	scrypt, err := age.NewScryptRecipient("passphrase")
	if err != nil {
		t.Fatal(err)
	}
	scrypt.SetWorkFactor(10)
	var withPassphrase bytes.Buffer
	aw := armor.NewWriter(&withPassphrase)
	w, err := age.Encrypt(aw, scrypt)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("secret payload"))
	w.Close()
	aw.Close()
	for name, data := range map[string][]byte{
		"stanza type changed":  armored(t, renamed),
		"passphrase-encrypted": withPassphrase.Bytes(),
	} {
		got, err := Decrypt(data, alice)
		if !errors.Is(err, ErrCorrupt) || got != nil {
			t.Errorf("%s: Decrypt() = %q, %v; want ErrCorrupt", name, got, err)
		}
	}
	// Control: an intact file for someone else is still "not a recipient".
	bob, _ := newIdentity(t, false)
	if _, err := Decrypt(file, bob); !errors.Is(err, ErrNoMatch) {
		t.Fatalf("other identity: err = %v, want ErrNoMatch", err)
	}
}

func armored(t *testing.T, bin []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	aw.Write(bin)
	if err := aw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestStanzaCountIsTheNumberOfKeys(t *testing.T) {
	var rs []Recipient
	for range 3 {
		_, public, err := Generate(false)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := ParseRecipient(public)
		rs = append(rs, r)
	}
	for n := 1; n <= 3; n++ {
		file, err := Encrypt([]byte("x"), rs[:n])
		if err != nil {
			t.Fatal(err)
		}
		if got, err := StanzaCount(file); err != nil || got != n {
			t.Fatalf("StanzaCount of a file for %d keys = %d, %v", n, got, err)
		}
	}
}
