package payload

import (
	"fmt"
	"strings"
	"testing"
)

func benchPayload(n int) []byte {
	p := New("production")
	p.Recipients = []string{"age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"}
	for i := range n {
		p.Set(fmt.Sprintf("SECRET_%05d", i), strings.Repeat("v", 40), t0)
	}
	data, err := p.Encode()
	if err != nil {
		panic(err)
	}
	return data
}

func BenchmarkDecode(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		data := benchPayload(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(data, "production"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		p, _ := Decode(benchPayload(n), "production")
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Encode(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
