package crypt

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkDecrypt and BenchmarkEncrypt use payload-sized plaintexts: about
// 100 bytes per secret, from 10 to 10,000 secrets.
func BenchmarkDecrypt(b *testing.B) {
	id, r := newIdentity(b, false)
	for _, n := range []int{10, 100, 1000, 10000} {
		plain := bytes.Repeat([]byte(`"SECRET_00001":{"value":"0123456789abcdef0123456789abcdef01234567","updated":"2026-11-25T16:00:00Z"},`), n)
		file, err := Encrypt(plain, []Recipient{r})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decrypt(file, id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncrypt(b *testing.B) {
	_, r := newIdentity(b, false)
	for _, n := range []int{10, 100, 1000, 10000} {
		plain := bytes.Repeat([]byte(`"SECRET_00001":{"value":"0123456789abcdef0123456789abcdef01234567","updated":"2026-11-25T16:00:00Z"},`), n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Encrypt(plain, []Recipient{r}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
