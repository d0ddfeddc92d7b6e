package scan

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"hash/maphash"
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

// Add remembers value under label ("DB_PASSWORD in production"). Values
// shorter than MinValueLen are ignored. The caller should drop its own copy
// of value as soon as it can.
func (v *Values) Add(value, label string) {
	if len(value) < MinValueLen {
		return
	}
	b := []byte(value)
	sum := v.sum(hmac.New(sha256.New, v.key), b)
	clear(b)
	if i, ok := v.bySum[sum]; ok {
		v.entries[i].labels = append(v.entries[i].labels, label)
		return
	}
	p := v.prefixHash(value[:prefixLen])
	v.bySum[sum] = len(v.entries)
	v.byPrefix[p] = append(v.byPrefix[p], len(v.entries))
	v.entries = append(v.entries, valueEntry{n: len(value), sum: sum, labels: []string{label}})
	v.filter = nil // rebuilt on the next search
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
