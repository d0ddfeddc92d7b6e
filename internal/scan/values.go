package scan

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"hash/maphash"
	"math"
	"math/bits"
	"strings"
)

// MinValueLen is the shortest secret value looked for: shorter ones (ports,
// flags, "true") would match everywhere.
const MinValueLen = 8

// prefixLen is how much of a value the prefilter hashes. Every value is at
// least this long, so one hash per position of the scanned text finds every
// place where some value may start.
const prefixLen = MinValueLen

// Values recognises a project's secret values without keeping them: it
// holds, per value, its length and HMAC-SHA256 under a key drawn at random
// for this run, plus a 32-bit keyed hash of its first 8 bytes that picks
// the rare places worth an HMAC. Nothing it holds gives a value back
// without guessing it.
type Values struct {
	key     []byte
	seed    maphash.Seed
	entries []valueEntry
	// bySum finds the entry of an HMAC, so a value stored under several
	// names is one entry with every label.
	bySum    map[[sha256.Size]byte]int
	byPrefix map[uint32][]int
	// filter is a bitset over prefix hashes: one bit test per position of
	// the scanned text rules out almost every position.
	filter []uint64
	mask   uint32
}

type valueEntry struct {
	n      int
	sum    [sha256.Size]byte
	labels []string
}

// NewValues returns an empty set with a fresh random key.
func NewValues() *Values {
	key := make([]byte, 32)
	rand.Read(key) // never fails (crypto/rand panics rather than return an error)
	return &Values{key: key, seed: maphash.MakeSeed(), bySum: map[[sha256.Size]byte]int{}, byPrefix: map[uint32][]int{}}
}

// Add remembers value under label ("DB_PASSWORD in production") and
// reports whether it will be searched for: values that do not look secret
// (see LooksSecret) are not, or every commit mentioning "production" would
// be stopped. The caller should drop its own copy of value as soon as it can.
func (v *Values) Add(value, label string) bool {
	if !LooksSecret(value) {
		return false
	}
	b := []byte(value)
	sum := v.sum(hmac.New(sha256.New, v.key), b)
	clear(b)
	if i, ok := v.bySum[sum]; ok {
		v.entries[i].labels = append(v.entries[i].labels, label)
		return true
	}
	p := v.prefixHash(value[:prefixLen])
	v.bySum[sum] = len(v.entries)
	v.byPrefix[p] = append(v.byPrefix[p], len(v.entries))
	v.entries = append(v.entries, valueEntry{n: len(value), sum: sum, labels: []string{label}})
	v.filter = nil // rebuilt on the next search
	return true
}

// LooksSecret reports whether a value is worth searching the code for: long
// enough, varied enough, and not a word, a number or a plain address, which
// appear in code for other reasons (NODE_ENV=production, PORT=3000,
// API_URL=https://api.example.com). A password in a URL still counts.
func LooksSecret(value string) bool {
	if len(value) < MinValueLen {
		return false
	}
	letters, digits, other := 0, 0, 0
	for _, c := range []byte(value) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letters++
		case c >= '0' && c <= '9':
			digits++
		case c == '-' || c == '_' || c == '.' || c == ' ':
			// word separators: "my-app", "info.debug", "Hello world"
		default:
			other++
		}
	}
	switch {
	case digits == len(value) && len(value) < 16: // ports, years, ids
		return false
	case digits == 0 && other == 0 && len(value) < 16: // words and names
		return false
	case isPlainAddress(value):
		return false
	}
	return entropyBits(value) >= 2.5
}

// isPlainAddress reports a URL or host:port without credentials or a query:
// an address, not a secret.
func isPlainAddress(v string) bool {
	if strings.ContainsAny(v, "@?") {
		return false
	}
	if _, rest, ok := strings.Cut(v, "://"); ok {
		v = rest
	}
	for _, c := range []byte(v) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._:/", c) >= 0
		if !ok {
			return false
		}
	}
	return strings.ContainsAny(v, ".:/") && !hasLongRun(v)
}

// hasLongRun reports 20 or more letters and digits in a row: a token in a
// path ("https://hooks.example.com/T0123/B456/abcdefghijklmnopqrstuvwx").
func hasLongRun(v string) bool {
	run := 0
	for _, c := range []byte(v) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			run++
			if run >= 20 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// entropyBits is the Shannon entropy of v's bytes, in bits per byte:
// "aaaaaaaa1" is low, a random token is 4 or more.
func entropyBits(v string) float64 {
	var counts [256]int
	for _, c := range []byte(v) {
		counts[c]++
	}
	n := float64(len(v))
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// Len is the number of distinct values held.
func (v *Values) Len() int { return len(v.entries) }

func (v *Values) sum(mac interface {
	Write([]byte) (int, error)
	Sum([]byte) []byte
	Reset()
}, b []byte) [sha256.Size]byte {
	mac.Reset()
	mac.Write(b)
	var out [sha256.Size]byte
	mac.Sum(out[:0])
	return out
}

func (v *Values) prefixHash(s string) uint32 {
	return uint32(maphash.String(v.seed, s))
}

func (v *Values) buildFilter() {
	// About 64 bits per value, at least 4096 and at most 4 Mi bits.
	n := max(4096, min(1<<22, 1<<bits.Len(uint(len(v.entries)*64))))
	v.filter = make([]uint64, n/64)
	v.mask = uint32(n - 1)
	for p := range v.byPrefix {
		b := p & v.mask
		v.filter[b/64] |= 1 << (b % 64)
	}
}

// find calls report with the offset and label of every place in data where
// a value starts.
func (v *Values) find(data []byte, report func(int, string)) {
	if len(v.entries) == 0 || len(data) < prefixLen {
		return
	}
	if v.filter == nil {
		v.buildFilter()
	}
	mac := hmac.New(sha256.New, v.key)
	filter, mask := v.filter, v.mask
	for i := 0; i+prefixLen <= len(data); i++ {
		p := uint32(maphash.Bytes(v.seed, data[i:i+prefixLen]))
		b := p & mask
		if filter[b/64]&(1<<(b%64)) == 0 {
			continue
		}
		for _, e := range v.byPrefix[p] {
			ent := &v.entries[e]
			if i+ent.n > len(data) {
				continue
			}
			if sum := v.sum(mac, data[i:i+ent.n]); hmac.Equal(sum[:], ent.sum[:]) {
				report(i, strings.Join(ent.labels, ", "))
			}
		}
	}
}
