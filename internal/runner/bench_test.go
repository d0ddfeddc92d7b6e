package runner

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func BenchmarkBuildEnv(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		secrets := make(Map, n)
		for i := range n {
			secrets[fmt.Sprintf("SECRET_%05d", i)] = strings.Repeat("v", 40)
		}
		inherited := os.Environ()
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				BuildEnv(inherited, secrets, nil)
			}
		})
	}
}
