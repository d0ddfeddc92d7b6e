package payload

import (
	"errors"
	"github.com/envsafe/envsafe/internal/trust"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC)

func TestEncodeIsCanonical(t *testing.T) {
	p := New("production")
	p.Recipients = []string{"age1b", "age1a", "age1b"}
	p.Set("B", "<&>", t0.Add(500*time.Millisecond))
	p.Set("A", "x", t0.In(time.FixedZone("X", 3600)))
	got, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"envsafe":1,"environment":"production","recipients":["age1a","age1b"],` +
		`"secrets":{"A":{"value":"x","updated":"2026-11-25T16:00:00Z"},"B":{"value":"<&>","updated":"2026-11-25T16:00:00Z"}}}`
	if string(got) != want {
		t.Fatalf("Encode() =\n%s\nwant\n%s", got, want)
	}
}

func TestRoundTripKeepsAwkwardValuesExactly(t *testing.T) {
	values := []string{
		"line1\nline2\r\n", `"quoted" 'single' ` + "`back`", "$HOME ${X} $(rm)", "# not a comment",
		"a=b=c", "ünïcødé ✓ 🔑", "", " leading and trailing ", strings.Repeat("x", 100*1024),
		"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n", `back\slash\n`,
	}
	p := New("dev")
	for i, v := range values {
		p.Set(string(rune('A'+i)), v, t0)
	}
	data, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(data, "dev")
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range values {
		if got := back.Secrets[string(rune('A'+i))].Value; got != v {
			t.Errorf("value %d changed in round trip: %q != %q", i, got, v)
		}
	}
}

func TestDecodeRefusesWhatEnvsafeDoesNotWrite(t *testing.T) {
	const secret = "hunter2-canary"
	cases := []struct {
		name, data string
		want       error
	}{
		{"other environment", `{"envsafe":1,"environment":"production","recipients":[],"secrets":{}}`, ErrWrongEnvironment},
		{"not json", `hunter2-canary`, ErrMalformed},
		{"truncated", `{"envsafe":1,"environment":"dev","secrets":{"A":{"value":"hunter2-can`, ErrMalformed},
		{"future version", `{"envsafe":3,"environment":"dev","recipients":[],"secrets":{}}`, ErrNewer},
		{"unknown field", `{"envsafe":1,"environment":"dev","recipients":[],"secrets":{},"x":"hunter2-canary"}`, ErrNewer},
		{"trailing data", `{"envsafe":1,"environment":"dev","recipients":[],"secrets":{}} hunter2-canary`, ErrMalformed},
		{"bad name", `{"envsafe":1,"environment":"dev","recipients":[],"secrets":{"A B":{"value":"hunter2-canary"}}}`, ErrMalformed},
		{"NUL value", `{"envsafe":1,"environment":"dev","recipients":[],"secrets":{"A":{"value":"hunter2-canary\u0000"}}}`, ErrMalformed},
		{"number value", `{"envsafe":1,"environment":"dev","recipients":[],"secrets":{"A":{"value":12345678}}}`, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode([]byte(c.data), "dev")
			if !errors.Is(err, c.want) {
				t.Fatalf("Decode() error = %v, want %v", err, c.want)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "12345678") {
				t.Fatalf("error quotes payload content: %v", err)
			}
		})
	}
}

func TestSetMovesTimeOnlyWhenValueChanges(t *testing.T) {
	p := New("dev")
	if !p.Set("A", "1", t0) {
		t.Fatal("first set must report a change")
	}
	if p.Set("A", "1", t0.Add(time.Hour)) {
		t.Fatal("same value must not report a change")
	}
	if got := p.Secrets["A"].Updated; !got.Equal(t0) {
		t.Fatalf("update time moved on a no-op set: %v", got)
	}
	p.Set("A", "2", t0.Add(time.Hour))
	if got := p.Secrets["A"].Updated; !got.Equal(t0.Add(time.Hour)) {
		t.Fatalf("update time did not move: %v", got)
	}
}

func TestValidateName(t *testing.T) {
	// What npm dotenv accepts: [A-Za-z0-9_.-]+.
	for _, ok := range []string{"A", "_", "api_key", "X9", "_1", "app.name", "spring.datasource.url", "MY-KEY",
		"1LEADING_DIGIT", "9", "-", ".", "ConnectionStrings--Default", "__proto__"} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("ValidateName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "A B", "É", "A=B", "A\x00", "npm_config_@x:registry", "A$", "a/b", "A\n", "\x1b[31m"} {
		err := ValidateName(bad)
		if err == nil {
			t.Errorf("ValidateName(%q) accepted an invalid name", bad)
			continue
		}
		if strings.ContainsAny(err.Error(), "\x00\n\x1b") {
			t.Errorf("ValidateName(%q): error %q holds a control character", bad, err)
		}
	}
}

func TestValidateValueNamesSecretNotValue(t *testing.T) {
	for _, v := range []string{"bad\x00canary", "bad\xffcanary", strings.Repeat("canary", MaxValueSize/6+1)} {
		err := ValidateValue("API_KEY", v)
		if err == nil {
			t.Fatalf("ValidateValue accepted %q...", v[:10])
		}
		if !strings.Contains(err.Error(), "API_KEY") || strings.Contains(err.Error(), "canary") {
			t.Fatalf("error must name the secret and not the value: %v", err)
		}
	}
}

func TestSameRecipientsIgnoresOrderAndRepeats(t *testing.T) {
	if !SameRecipients([]string{"b", "a"}, []string{"a", "b", "a"}) {
		t.Fatal("same set reported different")
	}
	if SameRecipients([]string{"a"}, []string{"a", "b"}) {
		t.Fatal("different sets reported same")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"envsafe":1,"environment":"dev","recipients":["age1x"],"secrets":{"A":{"value":"v","updated":"2026-11-25T16:00:00Z"}}}`))
	f.Add([]byte(`{"envsafe":1,"environment":"dev"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Decode(data, "dev")
		if err != nil {
			return
		}
		// Whatever decodes must encode and decode to the same secrets.
		enc, err := p.Encode()
		if err != nil {
			t.Fatalf("decoded payload does not encode: %v", err)
		}
		q, err := Decode(enc, "dev")
		if err != nil {
			t.Fatalf("encoded payload does not decode: %v", err)
		}
		for name, s := range p.Secrets {
			if q.Secrets[name].Value != s.Value {
				t.Fatalf("value of %s changed", name)
			}
		}
	})
}

// A huge name would make every `run` of the environment fail at the
// kernel's limit: names are bounded, and the error does not echo the name.
func TestNamesAreBounded(t *testing.T) {
	if err := ValidateName(strings.Repeat("A", MaxNameLen)); err != nil {
		t.Fatalf("a %d-byte name is refused: %v", MaxNameLen, err)
	}
	err := ValidateName(strings.Repeat("A", 1<<20))
	if err == nil || len(err.Error()) > 200 {
		t.Fatalf("a 1 MiB name: %v", err)
	}
}

// A signed payload is format 2 and round-trips its signature block; the
// body a writer signs is the same document with only sig.sig blank.
func TestSignedPayloadAndItsSigningBody(t *testing.T) {
	p := New("production")
	p.Set("API_KEY", "v", time.Unix(0, 0))
	p.Sig = &trust.Sig{Project: "ab", Seq: 7, Roster: "cd", Writer: "alice", Key: "envsafe-ed25519:x", Sig: "c2ln"}
	data, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), `{"envsafe":2,`) || !strings.HasSuffix(string(data), `,"sig":{"project":"ab","seq":7,"roster":"cd","writer":"alice","key":"envsafe-ed25519:x","sig":"c2ln"}}`) {
		t.Fatalf("signed payload encodes as %s", data)
	}
	back, err := Decode(data, "production")
	if err != nil || *back.Sig != *p.Sig {
		t.Fatalf("Decode = %+v, %v", back, err)
	}
	body, err := back.SigningBody()
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(string(data), `"sig":"c2ln"`, `"sig":""`, 1); string(body) != want {
		t.Fatalf("signing body\n%s\nwant\n%s", body, want)
	}
	if back.Sig.Sig != "c2ln" {
		t.Fatal("SigningBody changed the payload's own signature")
	}
	unsigned := New("production")
	if data, _ := unsigned.Encode(); !strings.HasPrefix(string(data), `{"envsafe":1,`) {
		t.Fatalf("an unsigned payload is %s, want format 1 (older envsafe reads it)", data)
	}
	for _, bad := range []string{
		`{"envsafe":2,"environment":"production","recipients":[],"secrets":{}}`,
		`{"envsafe":1,"environment":"production","recipients":[],"secrets":{},"sig":{"project":"a","seq":1,"roster":"","writer":"","key":"","sig":""}}`,
	} {
		if _, err := Decode([]byte(bad), "production"); !errors.Is(err, ErrMalformed) {
			t.Errorf("Decode(%s) = %v, want malformed (version and signature disagree)", bad, err)
		}
	}
}

func TestStaleNames(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	p := New("production")
	p.Set("OLD", "a", now.Add(-100*24*time.Hour))
	p.Set("NEW", "b", now.Add(-time.Hour))
	if got := p.StaleNames(90*24*time.Hour, now); len(got) != 1 || got[0] != "OLD" {
		t.Fatalf("StaleNames(90d) = %v, want OLD", got)
	}
	if got := p.StaleNames(0, now); got != nil {
		t.Fatalf("StaleNames(no limit) = %v, want none", got)
	}
}

// A rotate mark lasts until a new value is set or the secret is removed;
// setting the same value again does not rotate it. Marks survive a merge
// unless a branch set a new value.
func TestRotateMarks(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	p := New("production")
	p.Set("API_KEY", "old", now)
	p.Set("DB_URL", "old", now)
	p.Set("GONE", "old", now)
	if got := p.MarkToRotate([]string{"API_KEY", "DB_URL", "GONE", "MISSING"}, "bob removed 2026-12-01"); len(got) != 3 {
		t.Fatalf("marked %v", got)
	}
	p.Set("DB_URL", "old", now)
	p.Delete("GONE")
	if got := p.ToRotate(); !slices.Equal(got, []string{"API_KEY", "DB_URL"}) {
		t.Fatalf("to rotate after same-value set and delete: %v", got)
	}
	data, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(data, "production")
	if err != nil || back.Rotate["API_KEY"] != "bob removed 2026-12-01" {
		t.Fatalf("marks do not round-trip: %v %v", back.Rotate, err)
	}
	ours := back
	theirs, err := Decode(data, "production")
	if err != nil {
		t.Fatal(err)
	}
	theirs.Set("API_KEY", "new", now)
	merged, _ := Merge(p, ours, theirs)
	if got := merged.ToRotate(); !slices.Equal(got, []string{"DB_URL"}) {
		t.Fatalf("after merging a branch that rotated API_KEY: %v", got)
	}
	p.Set("API_KEY", "new", now)
	if got := p.ToRotate(); !slices.Equal(got, []string{"DB_URL"}) {
		t.Fatalf("a new value does not clear the mark: %v", got)
	}
	p.Rotate["DB_URL"] = "\x1b[2Jforged"
	if _, err := p.Encode(); err == nil {
		t.Fatal("a mark with control characters was written")
	}
}

// A branch from before the mark (its values written while the removed
// member could still read them) does not clear the mark by merging in a
// new value: attack review, a teammate's or the removed member's own
// pre-removal branch.
func TestRotateMarkSurvivesAMergeFromBeforeTheMark(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	base := New("development")
	base.Set("S", "before", now)
	ours := New("development")
	ours.Set("S", "before", now)
	ours.MarkToRotate([]string{"S"}, "bob removed 2026-12-01")
	theirs := New("development")
	theirs.Set("S", "set-on-an-old-branch", now.Add(time.Hour))
	merged, _ := Merge(base, ours, theirs)
	if got := merged.ToRotate(); !slices.Equal(got, []string{"S"}) {
		t.Fatalf("to rotate after merging a pre-removal branch: %v", got)
	}
	if v, _ := merged.Lookup("S"); v != "set-on-an-old-branch" {
		t.Fatalf("merged value %q", v)
	}
}
