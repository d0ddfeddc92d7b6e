package trust

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
)

// sshKeyText writes pub as an OpenSSH authorized_keys line, the way an SSH
// member's recipient appears in team.yaml.
func sshKeyText(pub ed25519.PublicKey, comment string) string {
	return sshEd25519 + " " + base64.StdEncoding.EncodeToString(sshBlob(sshEd25519, pub)) + comment
}

func sshBlob(typ string, key []byte) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint32(b, uint32(len(typ)))
	b = append(b, typ...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(key)))
	return append(b, key...)
}

// The derivation must never change silently: every member's signing key,
// and so every signed file, depends on it. These values come from TRUST.md
// Q1 and are not to be edited to match a new implementation.
func TestDeriveSigningKeyKnownAnswers(t *testing.T) {
	ikm := make([]byte, 32)
	for i := range ikm {
		ikm[i] = byte(i + 1)
	}
	for _, tc := range []struct {
		kind string
		want string
	}{
		{IdentityX25519, "envsafe-ed25519:JDsbKvOgqnpKIwj7ygCyGaXvbadysx7T9DbStGc6Q0s="},
		{IdentityMLKEM768X25519, "envsafe-ed25519:eVyZ4FnRb9sysVnOXrJmnuhq+NreG6SkdPNiw5YlD1I="},
	} {
		priv, err := DeriveSigningKey(ikm, tc.kind)
		if err != nil {
			t.Fatalf("%s: %v", tc.kind, err)
		}
		if got := PublicKeyText(priv); got != tc.want {
			t.Errorf("%s: derived %s, want %s", tc.kind, got, tc.want)
		}
		again, _ := DeriveSigningKey(ikm, tc.kind)
		if !bytes.Equal(priv, again) {
			t.Errorf("%s: derivation is not deterministic", tc.kind)
		}
	}
}

func TestDeriveSigningKeyRefuses(t *testing.T) {
	ikm := bytes.Repeat([]byte{7}, 32)
	for _, tc := range []struct {
		name string
		ikm  []byte
		kind string
	}{
		{"unknown kind", ikm, "ssh-rsa"},
		{"empty kind", ikm, ""},
		{"kind in other case", ikm, "x25519"},
		{"short secret", ikm[:31], IdentityX25519},
		{"long secret", append(bytes.Clone(ikm), 0), IdentityX25519},
	} {
		if _, err := DeriveSigningKey(tc.ikm, tc.kind); err == nil {
			t.Errorf("%s: derived a key", tc.name)
		}
	}
}

func TestParsePublicKey(t *testing.T) {
	pub := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32)).Public().(ed25519.PublicKey)
	b64 := base64.StdEncoding.EncodeToString(pub)
	good := []string{
		PublicKeyPrefix + b64,
		sshKeyText(pub, ""),
		sshKeyText(pub, " alice@laptop"),
		sshKeyText(pub, " a comment with spaces"),
	}
	for _, s := range good {
		got, err := ParsePublicKey(s)
		if err != nil {
			t.Errorf("%q: %v", s, err)
			continue
		}
		if !bytes.Equal(got, pub) {
			t.Errorf("%q: parsed another key", s)
		}
	}
	if FormatPublicKey(pub) != good[0] {
		t.Errorf("FormatPublicKey = %q", FormatPublicKey(pub))
	}
	bad := map[string]string{
		"empty":               "",
		"no prefix":           b64,
		"age recipient":       "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq",
		"short key":           PublicKeyPrefix + base64.StdEncoding.EncodeToString(pub[:31]),
		"long key":            PublicKeyPrefix + base64.StdEncoding.EncodeToString(append(bytes.Clone(pub), 1)),
		"unpadded":            PublicKeyPrefix + strings.TrimRight(b64, "="),
		"url alphabet":        PublicKeyPrefix + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)),
		"trailing space":      PublicKeyPrefix + b64 + " ",
		"ssh-rsa":             "ssh-rsa " + base64.StdEncoding.EncodeToString(sshBlob("ssh-rsa", pub)),
		"ssh wrong wire type": sshEd25519 + " " + base64.StdEncoding.EncodeToString(sshBlob("ssh-rsa", pub)),
		"ssh short key":       sshEd25519 + " " + base64.StdEncoding.EncodeToString(sshBlob(sshEd25519, pub[:31])),
		"ssh trailing bytes":  sshEd25519 + " " + base64.StdEncoding.EncodeToString(append(sshBlob(sshEd25519, pub), 0)),
		"ssh truncated":       sshEd25519 + " " + base64.StdEncoding.EncodeToString(sshBlob(sshEd25519, pub)[:20]),
		"ssh huge length":     sshEd25519 + " " + base64.StdEncoding.EncodeToString([]byte{0xff, 0xff, 0xff, 0xff, 's'}),
		"ssh no blob":         sshEd25519 + " ",
		"ssh two spaces":      sshEd25519 + "  " + base64.StdEncoding.EncodeToString(sshBlob(sshEd25519, pub)),
	}
	for name, s := range bad {
		if _, err := ParsePublicKey(s); err == nil {
			t.Errorf("%s: accepted %q", name, s)
		}
	}
}
