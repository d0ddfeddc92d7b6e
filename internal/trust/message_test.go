package trust

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"testing"
)

func TestMessageLayout(t *testing.T) {
	body := []byte(`{"x":1}`)
	sum := sha256.Sum256(body)
	want := append([]byte("envsafe-sig-v1\x00roster\x00"), sum[:]...)
	if got := Message(KindRoster, body); !bytes.Equal(got, want) {
		t.Fatalf("Message = %q, want %q", got, want)
	}
}

// TRUST.md (d) 20: a signature of one kind never verifies as another, so a
// roster signature cannot be replayed as an environment signature.
func TestSignaturesAreBoundToKind(t *testing.T) {
	key := testKey("alice")
	pub := key.Public().(ed25519.PublicKey)
	body := []byte(`{"envsafe":2,"environment":"production"}`)
	kinds := []Kind{KindLog, KindRoster, KindEnv, KindJoin}
	for _, signed := range kinds {
		sig, err := Sign(key, signed, body)
		if err != nil {
			t.Fatal(err)
		}
		for _, checked := range kinds {
			if got := VerifySignature(pub, checked, body, sig); got != (signed == checked) {
				t.Errorf("signed as %s, verify as %s = %v", signed, checked, got)
			}
		}
	}
	if _, err := Sign(key, Kind("backup"), body); err == nil {
		t.Error("signed with an undefined kind")
	}
	sig, _ := Sign(key, KindEnv, body)
	if VerifySignature(pub, Kind("backup"), body, sig) {
		t.Error("verified with an undefined kind")
	}
}

func TestAnySingleByteChangeFails(t *testing.T) {
	key := testKey("wendy")
	pub := key.Public().(ed25519.PublicKey)
	body := []byte(`{"envsafe":2,"environment":"production","secrets":{"A":"1"}}`)
	sig, err := Sign(key, KindEnv, body)
	if err != nil {
		t.Fatal(err)
	}
	if !VerifySignature(pub, KindEnv, body, sig) {
		t.Fatal("the signature does not verify unchanged")
	}
	for i := range body {
		b := bytes.Clone(body)
		b[i] ^= 0x01
		if VerifySignature(pub, KindEnv, b, sig) {
			t.Errorf("body byte %d changed, still verifies", i)
		}
	}
	for i := range sig {
		s := bytes.Clone(sig)
		s[i] ^= 0x01
		if VerifySignature(pub, KindEnv, body, s) {
			t.Errorf("signature byte %d changed, still verifies", i)
		}
	}
	if VerifySignature(testKey("alice").Public().(ed25519.PublicKey), KindEnv, body, sig) {
		t.Error("verifies under another key")
	}
	// Attacker-sized keys and signatures are a refusal, not a panic.
	for _, p := range [][]byte{nil, pub[:31], append(bytes.Clone(pub), 0)} {
		if VerifySignature(p, KindEnv, body, sig) {
			t.Errorf("verified with a %d-byte key", len(p))
		}
	}
	if VerifySignature(pub, KindEnv, body, sig[:63]) || VerifySignature(pub, KindEnv, body, append(bytes.Clone(sig), 0)) {
		t.Error("verified a signature of the wrong length")
	}
	if _, err := Sign(key[:10], KindEnv, body); err == nil {
		t.Error("signed with a truncated key")
	}
}

func TestQuoteName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"alice", "'alice'"},
		{"", "''"},
		{"\x1b[31malice\x1b[0m", "'[31malice[0m'"},
		{"ali\u202ece", "'alice'"},                   // bidi override
		{"alice\u2028bob", "'alicebob'"},             // line separator
		{"alice'; key ok; 'x", "'alice; key ok; x'"}, // cannot close the quote
		{"al\xffice", "'alice'"},                     // invalid UTF-8
		{"ünï", "'ünï'"},
		{string(bytes.Repeat([]byte("a"), 70)), "'" + string(bytes.Repeat([]byte("a"), 64)) + "...'"},
		{string(bytes.Repeat([]byte("a"), 64)) + "\x1b", "'" + string(bytes.Repeat([]byte("a"), 64)) + "'"},
	} {
		if got := QuoteName(tc.in); got != tc.want {
			t.Errorf("QuoteName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
