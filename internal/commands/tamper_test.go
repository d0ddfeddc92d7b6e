package commands_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/envsafe/envsafe/internal/commands"
	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/figures"
	"github.com/envsafe/envsafe/internal/keychain"
)

// sweepProject is a project driven in-process through commands.Main, the
// same code path as the binary minus process start-up.
type sweepProject struct {
	t       *testing.T
	dir     string
	env     map[string]string
	canary  string
	out     bytes.Buffer
	errOut  bytes.Buffer
	secrets map[string]string
}

func newSweepProject(t *testing.T, pq bool) *sweepProject {
	t.Helper()
	aliceSecret, _, err := crypt.Generate(pq)
	if err != nil {
		t.Fatal(err)
	}
	_, bobPublic, err := crypt.Generate(pq)
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, 6)
	rand.Read(nonce)
	p := &sweepProject{
		t:      t,
		dir:    t.TempDir(),
		env:    map[string]string{"ENVSAFE_IDENTITY": aliceSecret},
		canary: "CANARY" + hex.EncodeToString(nonce),
	}
	p.must("init", "--name", "alice", "-e", "development", "-e", "production")
	p.must("member", "add", "bob", bobPublic, "-e", "development", "--yes")
	p.secrets = map[string]string{
		"API_KEY":     p.canary + "-api",
		"DB_PASSWORD": p.canary + "-db pass with spaces $HOME #",
		"TLS_KEY":     p.canary + "-line1\n" + p.canary + "-line2",
	}
	for name, value := range p.secrets {
		file := filepath.Join(t.TempDir(), "value")
		if err := os.WriteFile(file, []byte(value), 0o600); err != nil {
			t.Fatal(err)
		}
		p.must("set", name, "--file", file)
	}
	p.must("set", "OTHER="+p.canary+"-prod", "-e", "production")
	return p
}

// run executes one command line in-process and returns its exit status.
func (p *sweepProject) run(args ...string) int {
	p.out.Reset()
	p.errOut.Reset()
	d := &commands.Deps{
		Stdin:       strings.NewReader(""),
		Stdout:      &p.out,
		Stderr:      &p.errOut,
		Keychain:    keychain.NewMemory(),
		LookupEnv:   func(k string) (string, bool) { v, ok := p.env[k]; return v, ok },
		Environ:     func() []string { return nil },
		Now:         time.Now,
		Dir:         p.dir,
		GitUserName: func() string { return "" },
		Version:     "test",
	}
	return commands.Main(context.Background(), append([]string{"envsafe"}, args...), d)
}

func (p *sweepProject) must(args ...string) {
	p.t.Helper()
	if code := p.run(args...); code != 0 {
		p.t.Fatalf("envsafe %s: exit %d\n%s", strings.Join(args, " "), code, p.errOut.String())
	}
}

func (p *sweepProject) path(env string) string {
	return filepath.Join(p.dir, ".envsafe", env+".age")
}

// armorLayout locates, in an armored age file, which decoded byte each
// armored byte carries, and where the recipient stanzas are in the decoded
// header. It is the test's own reading of the age format (age-encryption.org/v1),
// kept independent of the code under test.
type armorLayout struct {
	binary []byte
	// first[i], last[i] are the decoded bytes armored byte i contributes
	// to; -1 for armor lines and line breaks.
	first, last []int
	// stanzas are [start, end) of each "-> " stanza in the decoded header,
	// from its type line to the end of its body.
	stanzas [][2]int
	types   []string
	// argsStart[i] is where stanza i's arguments begin (after the type).
	argsStart []int
}

func parseArmor(t *testing.T, file []byte) armorLayout {
	t.Helper()
	l := armorLayout{first: make([]int, len(file)), last: make([]int, len(file))}
	for i := range file {
		l.first[i], l.last[i] = -1, -1
	}
	var body []byte
	sc := bufio.NewScanner(bytes.NewReader(file))
	off := 0
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte("-----")) {
			for c := range line {
				k := len(body) + c
				l.first[off+c], l.last[off+c] = 6*k/8, (6*k+5)/8
			}
			body = append(body, line...)
		}
		off += len(line) + 1
	}
	bin, err := base64.StdEncoding.DecodeString(string(body))
	if err != nil {
		t.Fatalf("the test's armor reader cannot read a file envsafe wrote: %v", err)
	}
	l.binary = bin
	for i := range l.last {
		if l.last[i] >= len(bin) {
			l.last[i] = len(bin) - 1 // padding bits
		}
	}
	pos := 0
	for {
		end := bytes.IndexByte(bin[pos:], '\n')
		if end < 0 {
			t.Fatal("no end of header")
		}
		line := bin[pos : pos+end]
		switch {
		case bytes.HasPrefix(line, []byte("-> ")):
			if n := len(l.stanzas); n > 0 {
				l.stanzas[n-1][1] = pos
			}
			fields := strings.Fields(string(line[3:]))
			l.stanzas = append(l.stanzas, [2]int{pos, -1})
			l.types = append(l.types, fields[0])
			l.argsStart = append(l.argsStart, pos+3+len(fields[0]))
		case bytes.HasPrefix(line, []byte("---")):
			l.stanzas[len(l.stanzas)-1][1] = pos
			return l
		}
		pos += end + 1
	}
}

// changed returns the range of decoded bytes in which mutated differs from
// the original, or ok=false when the mutated file's armor cannot be read
// the lenient way (so the change must be refused as damage).
func (l armorLayout) changed(mutated []byte) (lo, hi int, same, ok bool) {
	var body []byte
	for _, line := range strings.Split(string(mutated), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.HasPrefix(line, "-----") || strings.TrimSpace(line) == "" {
			continue
		}
		body = append(body, line...)
	}
	bin, err := base64.StdEncoding.DecodeString(string(body))
	if err != nil || len(bin) != len(l.binary) {
		return 0, 0, false, false
	}
	lo, hi = -1, -1
	for i := range bin {
		if bin[i] != l.binary[i] {
			if lo < 0 {
				lo = i
			}
			hi = i
		}
	}
	return lo, hi, lo < 0, true
}

// sweepStats counts outcomes, for the figures in SECURITY.md.
type sweepStats struct {
	tried, refused5, notRecipient3, sameOutput0 int
	byKind                                      map[string]int
}

// TestTamperSweep changes a real environment file in every way a single
// byte can change — each bit of each byte flipped, each byte replaced by a
// few others, deleted, or preceded by an extra byte — and cuts it at every
// length, and runs `envsafe export` on each. Every result must be refused
// with exit 5 and print nothing on stdout and no secret on stderr, with two
// exceptions the test pins down exactly:
//
//   - a change inside the reader's own X25519 stanza, past its type, makes
//     the file look encrypted to someone else: age cannot tell a damaged
//     stanza from another person's, so that is exit 3 (not a recipient),
//     never a plaintext;
//   - a change the armor does not carry into the decoded file (trailing
//     blank space, a line break written as CRLF) decrypts to exactly the
//     same secrets.
//
// Not parallel: urfave/cli keeps state in package variables (its help
// flag), so two Mains at once in one process race.
func TestTamperSweep(t *testing.T) {
	p := newSweepProject(t, false)
	sweep(t, p, "x25519")
}

// TestTamperSweepPostQuantum is the same sweep over a file encrypted to
// post-quantum (ML-KEM-768 + X25519) keys, whose stanzas are 30 times
// larger; `make stress` runs every position, `make test` a sample.
func TestTamperSweepPostQuantum(t *testing.T) {
	p := newSweepProject(t, true)
	sweep(t, p, "pq")
}

func sweep(t *testing.T, p *sweepProject, label string) {
	good, err := os.ReadFile(p.path("development"))
	if err != nil {
		t.Fatal(err)
	}
	if code := p.run("export", "--format", "json"); code != 0 {
		t.Fatalf("export of the intact file: exit %d %s", code, p.errOut.String())
	}
	want := p.out.String()
	for name, value := range p.secrets {
		if !strings.Contains(want, strings.ReplaceAll(value, "\n", `\n`)) {
			t.Fatalf("export of the intact file lacks %s", name)
		}
	}
	layout := parseArmor(t, good)
	if !bytes.Equal(rearmor(layout.binary), good) {
		t.Fatal("the test's armor writer does not match the file envsafe wrote")
	}
	own := ownStanza(t, p, layout)
	t.Logf("%s file: %d bytes armored, %d decoded, stanzas %v, own stanza #%d", label, len(good), len(layout.binary), layout.types, own)

	stats := sweepStats{byKind: map[string]int{}}
	try := func(kind string, mutated []byte, pos int) {
		stats.tried++
		stats.byKind[kind]++
		if err := os.WriteFile(p.path("development"), mutated, 0o644); err != nil {
			t.Fatal(err)
		}
		code := p.run("export", "--format", "json")
		out, errOut := p.out.String(), p.errOut.String()
		if strings.Contains(errOut, p.canary) {
			t.Fatalf("%s at %d: a secret on stderr: %s", kind, pos, errOut)
		}
		lo, hi, same, readable := layout.changed(mutated)
		inOwnStanza := readable && !same && lo >= layout.argsStart[own] && hi < layout.stanzas[own][1]
		switch {
		case code == commands.ExitIntegrity && out == "":
			stats.refused5++
		case code == commands.ExitNoAccess && out == "" && inOwnStanza:
			stats.notRecipient3++
		case code == 0 && same && out == want:
			stats.sameOutput0++
			t.Logf("%s at byte %d (%q) leaves the decoded file as it was: accepted, same secrets", kind, pos, good[min(pos, len(good)-1)])
		default:
			t.Fatalf("%s at byte %d (decoded bytes %d-%d, own stanza %d-%d, readable %v, same %v): exit %d, stdout %q, stderr %s",
				kind, pos, lo, hi, layout.argsStart[own], layout.stanzas[own][1], readable, same, code, out, errOut)
		}
		if code != 0 && !strings.HasPrefix(errOut, "envsafe: error: ") {
			t.Fatalf("%s at %d: exit %d without an error message: %q", kind, pos, code, errOut)
		}
	}

	// make stress: every bit of every byte, a dozen substitutes, deletion
	// and insertion everywhere. make test: one bit per byte (a different
	// one each time), three substitutes and deletion; the post-quantum file
	// and -short runs (the race detector) take a sample of positions.
	full := stress()
	stride := 1
	switch {
	case full:
	case label == "pq" && testing.Short():
		stride = 97
	case label == "pq":
		stride = 31
	case testing.Short():
		stride = 7
	}
	positions := samplePositions(len(good), stride)
	substitutes := []byte{'A', '\n', 0x00}
	if full {
		substitutes = []byte{'A', 'z', '0', '+', '/', '=', '-', ' ', '\n', '\r', 0x00, 0xff}
	}
	for _, pos := range positions {
		for bit := range 8 {
			if !full && bit != pos%8 {
				continue
			}
			m := bytes.Clone(good)
			m[pos] ^= 1 << bit
			try("flip", m, pos)
		}
		for _, b := range substitutes {
			if good[pos] == b {
				continue
			}
			m := bytes.Clone(good)
			m[pos] = b
			try("substitute", m, pos)
		}
		try("delete", append(bytes.Clone(good[:pos]), good[pos+1:]...), pos)
		if full {
			try("insert", append(append(bytes.Clone(good[:pos]), 'A'), good[pos:]...), pos)
		}
	}
	for _, n := range samplePositions(len(good), stride) {
		try("truncate", bytes.Clone(good[:n]), n)
	}
	try("append", append(bytes.Clone(good), "A"...), len(good))
	try("append blank line", append(bytes.Clone(good), "\n"...), len(good))

	// The intact file still works: the sweep did not break the project.
	if err := os.WriteFile(p.path("development"), good, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := p.run("export", "--format", "json"); code != 0 || p.out.String() != want {
		t.Fatalf("restored file: exit %d", code)
	}
	if stats.notRecipient3 == 0 {
		t.Fatalf("no change inside the own stanza gave exit 3: the classification is not being tested")
	}
	t.Logf("%s: %d positions of %d bytes, %d files tried %v: %d refused (exit 5), %d not-a-recipient (exit 3, own stanza), %d same secrets (exit 0, formatting only)",
		label, len(positions), len(good), stats.tried, stats.byKind, stats.refused5, stats.notRecipient3, stats.sameOutput0)
	figure(t, "tamper."+label+".bytes", len(good))
	figure(t, "tamper."+label+".positions", len(positions))
	figure(t, "tamper."+label+".tried", stats.tried)
	for kind, n := range stats.byKind {
		figure(t, "tamper."+label+"."+kind, n)
	}
	figure(t, "tamper."+label+".exit5", stats.refused5)
	figure(t, "tamper."+label+".exit3", stats.notRecipient3)
	figure(t, "tamper."+label+".exit0same", stats.sameOutput0)
}

// ownStanza finds which stanza is the reader's by changing one character
// of each stanza's first argument to another base64 character (so the
// header still parses): a change to another recipient's stanza is caught by
// the header MAC (exit 5); a change to one's own makes the file unreadable
// to one (exit 3). Exactly one stanza must behave as one's own.
func ownStanza(t *testing.T, p *sweepProject, l armorLayout) int {
	t.Helper()
	own := -1
	for i := range l.stanzas {
		bin := bytes.Clone(l.binary)
		at := l.argsStart[i] + 10 // inside the first argument
		bin[at] = map[bool]byte{true: 'B', false: 'A'}[bin[at] == 'A']
		if err := os.WriteFile(p.path("development"), rearmor(bin), 0o644); err != nil {
			t.Fatal(err)
		}
		switch code := p.run("export"); code {
		case commands.ExitNoAccess:
			if own >= 0 {
				t.Fatalf("stanzas %d and %d both act as the reader's own", own, i)
			}
			own = i
		case commands.ExitIntegrity:
		default:
			t.Fatalf("damaged stanza %d: exit %d: %s", i, code, p.errOut.String())
		}
	}
	if own < 0 {
		t.Fatal("no stanza acts as the reader's own")
	}
	return own
}

// rearmor wraps a binary age file in ASCII armor as age writes it.
func rearmor(bin []byte) []byte {
	text := base64.StdEncoding.EncodeToString(bin)
	var b bytes.Buffer
	b.WriteString("-----BEGIN AGE ENCRYPTED FILE-----\n")
	for len(text) > 64 {
		b.WriteString(text[:64] + "\n")
		text = text[64:]
	}
	b.WriteString(text + "\n-----END AGE ENCRYPTED FILE-----\n")
	return b.Bytes()
}

// samplePositions is every byte position, or with a stride > 1 a sample:
// the first and last 100 and every stride-th in between.
func samplePositions(n, stride int) []int {
	var ps []int
	for i := range n {
		if i < 100 || i >= n-100 || i%stride == 0 {
			ps = append(ps, i)
		}
	}
	return ps
}

// stress reports whether the long forms run (`make stress`).
func stress() bool { return os.Getenv("ENVSAFE_STRESS") == "1" }

// figure records a measured number for SECURITY.md (see internal/figures).
func figure(t *testing.T, name string, value any) { t.Helper(); figures.Record(t, name, value) }
