package payload

import (
	"bytes"
	"encoding/json"
	"github.com/envsafe/envsafe/internal/trust"
	"io"
	"math/rand"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The hand-written codec must mean exactly what encoding/json means for
// the Payload type. These reference functions are envsafe's first, plain
// encoding/json implementation.

func referenceEncode(p *Payload) ([]byte, error) {
	c := *p
	c.Version = versionOf(p)
	c.Recipients = sortedUnique(p.Recipients)
	c.Secrets = map[string]Secret{}
	for n, s := range p.Secrets {
		c.Secrets[n] = Secret{Value: s.Value, Updated: s.Updated.UTC().Truncate(time.Second)}
	}
	if len(c.Conflicts) == 0 {
		c.Conflicts = nil
	}
	if len(c.Rotate) == 0 {
		c.Rotate = nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&c); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func referenceDecode(data []byte) (*Payload, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Payload
	if err := dec.Decode(&p); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errSyntax
	}
	return &p, nil
}

func randomText(r *rand.Rand) string {
	pieces := []string{"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\b", "\f", "\x01", "\x1f", "\x7f",
		"<", ">", "&", "é", "✓", "🔑", "\u2028", "\u2029", "\ufeff", "$HOME", "#", "="}
	var b strings.Builder
	for range r.Intn(12) {
		b.WriteString(pieces[r.Intn(len(pieces))])
	}
	return b.String()
}

func randomPayload(r *rand.Rand) *Payload {
	p := New("env-" + randomText(r))
	for range r.Intn(3) {
		p.Recipients = append(p.Recipients, "age1"+randomText(r))
	}
	for i := range r.Intn(20) {
		name := "N" + strings.Repeat("_", i%3) + string(rune('A'+i))
		p.Secrets[name] = Secret{Value: randomText(r), Updated: time.Unix(r.Int63n(4e9), r.Int63n(1e9)).In(time.FixedZone("X", 3600*r.Intn(5)))}
	}
	if r.Intn(3) == 0 {
		v := randomText(r)
		p.Conflicts = map[string]Conflict{"C": {Base: nil, Ours: &v, Theirs: &v}}
	}
	if r.Intn(3) == 0 {
		p.Rotate = map[string]string{"N" + string(rune('A'+r.Intn(3))): "bob removed é✓ \"🔑\" " + strconv.Itoa(r.Intn(1e6))}
	}
	if r.Intn(2) == 0 {
		p.Sig = &trust.Sig{Project: randomText(r), Seq: uint64(r.Int63()), Roster: randomText(r), Writer: randomText(r), Key: randomText(r), Sig: randomText(r)}
	}
	return p
}

func TestEncodeMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for i := range 2000 {
		p := randomPayload(r)
		got, err := p.Encode()
		if err != nil {
			t.Fatal(err)
		}
		want, err := referenceEncode(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d:\n got %s\nwant %s", i, got, want)
		}
		back, err := Decode(got, p.Environment)
		if err != nil {
			t.Fatalf("case %d: own output refused: %v", i, err)
		}
		ref, _ := referenceDecode(got)
		assertSame(t, back, ref)
	}
}

func assertSame(t *testing.T, got, want *Payload) {
	t.Helper()
	norm := func(p *Payload) *Payload {
		c := *p
		if c.Secrets == nil {
			c.Secrets = map[string]Secret{}
		}
		if len(c.Conflicts) == 0 {
			c.Conflicts = nil
		}
		if len(c.Rotate) == 0 {
			c.Rotate = nil
		}
		if c.Recipients == nil {
			c.Recipients = []string{}
		}
		secrets := map[string]Secret{}
		for n, s := range c.Secrets {
			secrets[n] = Secret{Value: s.Value, Updated: s.Updated.UTC()}
		}
		c.Secrets = secrets
		return &c
	}
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("decoders disagree:\n fast %+v\n json %+v", g, w)
	}
}

func TestDecodeEdgeCasesLikeEncodingJSON(t *testing.T) {
	cases := []string{
		`{"envsafe":1,"environment":"dev","recipients":null,"secrets":null}`,
		`{"envsafe":1,"environment":"dev","secrets":{"A":null}}`,
		`{"envsafe":1,"environment":"dev","secrets":{"A":{"value":"x"},"A":{"updated":"2026-01-02T03:04:05Z"}}}`,
		`{"envsafe":1,"environment":null,"environment":"dev","secrets":{}}`,
		`{"secrets":{"A":{"value":"1"}},"secrets":{"B":{"value":"2"}},"envsafe":1,"environment":"dev"}`,
		` { "envsafe" : 1 , "environment" : "d\u0065v" , "secrets" : { "A" : { "value" : "\ud83d\udd11 \u00e9 \/" } } } `,
		`{"envsafe":1,"environment":"dev","secrets":{"A":{"value":"\ud800 lone"}}}`,
		`{"envsafe":1,"environment":"dev","secrets":{"A":{"value":"x","updated":"2026-02-03T04:05:06.123+02:00"}}}`,
		`{"envsafe":1,"environment":"dev","conflicts":{"A":{"base":null,"ours":"o","theirs":"t"}},"secrets":{}}`,
		`{"envsafe":1,"environment":"dev","recipients":["a",null,"b"]}`,
	}
	for _, c := range cases {
		ref, rerr := referenceDecode([]byte(c))
		got, ferr := parse([]byte(c))
		if (rerr == nil) != (ferr == nil) {
			t.Fatalf("%s: encoding/json err %v, fast err %v", c, rerr, ferr)
		}
		if rerr == nil {
			assertSame(t, got, ref)
		}
	}
	for _, bad := range []string{
		`{"envsafe":01,"environment":"dev"}`, `{"envsafe":1.0}`, `{"envsafe":1e0}`, `{"envsafe":1,}`,
		`{"envsafe":1 "environment":"dev"}`, `{"x":1}`, `{"secrets":{"A":{"value":"x","extra":1}}}`,
		"{\"environment\":\"a\x01b\"}", `{"environment":"\x"}`, `{"environment":"\u12"}`, `[1]`, `{} {}`, `{"environment":"dev"`,
	} {
		if _, err := parse([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func FuzzDecodeMatchesEncodingJSON(f *testing.F) {
	r := rand.New(rand.NewSource(3))
	for range 20 {
		data, _ := randomPayload(r).Encode()
		f.Add(data)
	}
	f.Add([]byte(`{"envsafe":1,"environment":"dev","secrets":{"A":null}}`))
	f.Add([]byte(`{"envsafe":1,"environment":"dev","conflicts":{"A":{"base":null,"ours":"o","theirs":"t"}}}`))
	f.Add([]byte(`{"envsafe":1,"environment":"dev","secrets":{"A":{"value":"1"}},"rotate":{"A":"bob removed","A":null,"B":null}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ferr := parse(data)
		ref, rerr := referenceDecode(data)
		if ferr == nil {
			if rerr != nil {
				t.Fatalf("fast decoder accepts what encoding/json refuses (%v)", rerr)
			}
			assertSame(t, got, ref)
			return
		}
		if rerr == nil {
			// Stricter is allowed only for documents envsafe never writes.
			if canon, err := referenceEncode(ref); err == nil && bytes.Equal(canon, data) && slices.IsSorted(ref.Recipients) {
				t.Fatalf("fast decoder refuses a canonical document: %v", ferr)
			}
		}
	})
}

// TestDaysInMatchesTime holds fastTime's month lengths to time.Date's
// calendar, leap years included, over every year a timestamp can name.
func TestDaysInMatchesTime(t *testing.T) {
	for y := 0; y <= 9999; y++ {
		for mo := 1; mo <= 12; mo++ {
			if got, want := daysIn(mo, y), time.Date(y, time.Month(mo)+1, 0, 0, 0, 0, 0, time.UTC).Day(); got != want {
				t.Fatalf("daysIn(%d, %d) = %d, want %d", mo, y, got, want)
			}
		}
	}
}
