package crypt

import (
	"crypto/ed25519"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envsafe/envsafe/internal/trust"
)

// bech32Encode is the test's own encoder, to build identities from known
// bytes.
func bech32Encode(hrp string, data []byte) string {
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	var values []byte
	acc, bits := uint32(0), uint(0)
	for _, b := range data {
		acc = acc<<8 | uint32(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			values = append(values, byte(acc>>bits)&31)
		}
	}
	if bits > 0 {
		values = append(values, byte(acc<<(5-bits))&31)
	}
	pm := polymod(append(append(hrpExpand(hrp), values...), 0, 0, 0, 0, 0, 0)) ^ 1
	for i := range 6 {
		values = append(values, byte(pm>>(5*(5-i)))&31)
	}
	var b strings.Builder
	b.WriteString(hrp + "1")
	for _, v := range values {
		b.WriteByte(charset[v])
	}
	return strings.ToUpper(b.String())
}

// The signing key of an identity is the one trust's frozen known answers
// give for its secret bytes: the derivation cannot drift between packages.
func TestSigningKeyKnownAnswers(t *testing.T) {
	ikm := make([]byte, 32)
	for i := range ikm {
		ikm[i] = byte(i + 1)
	}
	for hrp, want := range map[string]string{
		"age-secret-key-":    "envsafe-ed25519:JDsbKvOgqnpKIwj7ygCyGaXvbadysx7T9DbStGc6Q0s=",
		"age-secret-key-pq-": "envsafe-ed25519:eVyZ4FnRb9sysVnOXrJmnuhq+NreG6SkdPNiw5YlD1I=",
	} {
		id, err := ParseIdentity([]byte(bech32Encode(hrp, ikm)))
		if err != nil {
			t.Fatalf("%s: %v", hrp, err)
		}
		key, err := id.SigningKey()
		if err != nil {
			t.Fatal(err)
		}
		if got := trust.PublicKeyText(key); got != want {
			t.Errorf("%s: signing key %s, want %s", hrp, got, want)
		}
	}
}

func TestSSHEd25519IdentitySignsWithItsOwnKey(t *testing.T) {
	keygen, err := exec.LookPath("ssh-keygen")
	if err != nil {
		t.Skip("no ssh-keygen")
	}
	path := filepath.Join(t.TempDir(), "id")
	if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	data, _ := os.ReadFile(path)
	id, err := ParseIdentity(data)
	if err != nil {
		t.Fatal(err)
	}
	key, err := id.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := trust.ParsePublicKey(id.Public())
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(key.Public().(ed25519.PublicKey)) {
		t.Fatal("an ssh-ed25519 member does not sign with the key team.yaml lists")
	}
}
