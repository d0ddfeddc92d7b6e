package trust

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEncodeParseRoundTrip(t *testing.T) {
	p := newHistory(t).current
	data, err := Encode(&File{Log: p.log, Roster: p.roster})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, p.bytes()) {
		t.Fatalf("Encode differs from the lines it was given")
	}
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Log) != 3 || f.Roster.Roster.Version != 3 || f.Roster.Roster.Floors["production"] != 40 || f.Roster.Roster.Team.MaxAge["production"] != "90d" {
		t.Fatalf("parsed %d entries, roster %+v", len(f.Log), f.Roster.Roster)
	}
	if f.Log[2].Entry.Prev != f.Log[1].Hash() || f.Roster.Roster.LogHead != f.Log[2].Hash() {
		t.Error("chain hashes lost")
	}
	again, err := Encode(f)
	if err != nil || !bytes.Equal(again, data) {
		t.Fatalf("re-encoding a parsed file changed it: %v", err)
	}
	// A Windows checkout may turn the line ends into CRLF; the signed
	// bodies are untouched, so the file still verifies.
	crlf := bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
	if _, err := Verify(crlf, p.pin(), State{}); err != nil {
		t.Errorf("CRLF line ends: %v", err)
	}
	if _, err := Verify(bytes.TrimSuffix(data, []byte("\n")), p.pin(), State{}); err != nil {
		t.Errorf("no final newline: %v", err)
	}
}

// TestGoldenTeamSig freezes the file format: the same keys, times and
// roster must always give these bytes (Ed25519 signatures are
// deterministic). Set ENVSAFE_UPDATE_GOLDEN=1 to rewrite it after a
// deliberate format change, and bump FormatVersion.
func TestGoldenTeamSig(t *testing.T) {
	p := newHistory(t).current
	data, err := Encode(&File{Log: p.log, Roster: p.roster})
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "team.sig")
	if os.Getenv("ENVSAFE_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(golden, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, want) {
		t.Fatalf("team.sig encoding changed:\n got %s\nwant %s", data, want)
	}
	if _, err := Verify(want, p.pin(), State{}); err != nil {
		t.Fatalf("golden file does not verify: %v", err)
	}
}

// line is one team.sig line with any body, for files a parser must refuse.
func line(t *testing.T, key string, body any) string {
	t.Helper()
	return string(encodeLine(key, mustJSON(t, body), []Signature{})) + "\n"
}

func TestParseRefuses(t *testing.T) {
	p := newHistory(t).current
	good := string(p.bytes())
	lines := strings.SplitAfter(good, "\n")
	logs, roster := strings.Join(lines[:3], ""), lines[3]
	entry := func(mod func(e *LogEntry)) string {
		e := p.log[0].Entry
		e.Admins = append([]Admin(nil), e.Admins...)
		mod(&e)
		return line(t, "log", &e) + roster
	}
	rost := func(mod func(r *Roster)) string {
		r := p.roster.Roster
		r.Team = normalizeTeam(r.Team)
		mod(&r)
		return logs + line(t, "roster", &r)
	}
	for _, tc := range []struct {
		name, file, msg string
	}{
		{"empty", "", "empty"},
		{"only newlines", "\n", "empty"},
		{"no roster", logs, "no roster line"},
		{"roster only", roster, "no admin log"},
		{"two rosters", logs + roster + roster, "last and only one"},
		{"roster before the log", roster + logs, "last and only one"},
		{"blank line", logs + "\n" + roster, "line 4"},
		{"not JSON", logs + "hello\n" + roster, "line 4"},
		{"neither log nor roster", logs + `{"sigs":[]}` + "\n" + roster, "want one"},
		{"both log and roster", strings.Replace(good, `{"log":`, `{"roster":{},"log":`, 1), "line 1"},
		{"unknown field in the line", strings.Replace(good, `,"sigs":`, `,"note":1,"sigs":`, 1), "unknown field"},
		{"unknown field in an entry", strings.Replace(good, `"threshold":1,`, `"threshold":1,"extra":1,`, 1), "unknown field"},
		{"duplicate key in an entry", strings.Replace(good, `"threshold":1,`, `"threshold":1,"threshold":1,`, 1), "form envsafe writes"},
		{"duplicate line key", strings.Replace(good, `{"log":`, `{"log":{},"log":`, 1), "form envsafe writes"},
		{"white space", strings.Replace(good, `"v":1`, `"v": 1`, 1), "form envsafe writes"},
		{"trailing data", strings.Replace(good, "}\n", "} 1\n", 1), "line 1"},
		{"escaped form of the same text", strings.Replace(good, `"name":"alice"`, `"name":"\u0061lice"`, 1), "form envsafe writes"},
		{"too large", logs + strings.Repeat(" ", MaxTeamSigSize) + roster, "larger than"},
		{"too many log lines", strings.Repeat(lines[0], MaxLogEntries+1) + roster, "more than 1000 log lines"},
		{"log format 2", entry(func(e *LogEntry) { e.V = 2 }), "format 2"},
		{"genesis with index 1", entry(func(e *LogEntry) { e.Index = 1 }), "says it is entry 1"},
		{"genesis with prev", entry(func(e *LogEntry) { e.Prev = p.log[1].Hash() }), "does not follow"},
		{"entry out of chain", logs[:len(lines[0])] + lines[2] + roster, "entry 2"},
		{"no admins", entry(func(e *LogEntry) { e.Admins = nil }), "0 admins"},
		{"threshold 0", entry(func(e *LogEntry) { e.Threshold = 0 }), "threshold 0"},
		{"threshold above the admins", entry(func(e *LogEntry) { e.Threshold = 2 }), "threshold 2"},
		{"admin twice", entry(func(e *LogEntry) { e.Admins = append(e.Admins, e.Admins[0]) }), "twice"},
		{"one key, two admins", entry(func(e *LogEntry) { e.Admins = append(e.Admins, Admin{Name: "bob", Key: e.Admins[0].Key}) }), "two admins"},
		{"admin key not a key", entry(func(e *LogEntry) { e.Admins[0].Key = "age1alice" }), "not a signing key"},
		{"admin name with ESC", entry(func(e *LogEntry) { e.Admins[0].Name = "\x1b[2Jroot" }), "'[2Jroot'"},
		{"bad creation time", entry(func(e *LogEntry) { e.Created = "yesterday" }), "RFC 3339"},
		{"roster format 2", rost(func(r *Roster) { r.V = 2 }), "format 2"},
		{"roster version 0", rost(func(r *Roster) { r.Version = 0 }), "at least 1"},
		{"project not a hash", rost(func(r *Roster) { r.Project = "ABC" }), "hex SHA-256"},
		{"upper-case hash", rost(func(r *Roster) { r.LogHead = strings.ToUpper(r.LogHead) }), "hex SHA-256"},
		{"member twice", rost(func(r *Roster) { r.Team.Members = append(r.Team.Members, r.Team.Members[0]) }), "twice"},
		{"recipient twice", rost(func(r *Roster) { r.Team.Members[1].Recipient = "AGE1ALICE" }), "another member's recipient"},
		{"ssh recipient twice, other comment", rost(func(r *Roster) {
			r.Team.Members = append(r.Team.Members, Member{Name: "sam2", Recipient: r.Team.Members[2].Recipient[:len(r.Team.Members[2].Recipient)-len(" sam@laptop")] + " other"})
		}), "another member's recipient"},
		{"signing key twice", rost(func(r *Roster) { r.Team.Members[1].Sign = r.Team.Members[0].Sign }), "another member's signing key"},
		{"SSH key claimed as a sign key", rost(func(r *Roster) {
			r.Team.Members[1].Sign = PublicKeyText(testKey("sam"))
		}), "another member's signing key"},
		{"ssh member with another sign key", rost(func(r *Roster) { r.Team.Members[2].Sign = PublicKeyText(testKey("x")) }), "signs with their SSH key"},
		{"bad sign key", rost(func(r *Roster) { r.Team.Members[0].Sign = "envsafe-ed25519:AAAA" }), "signing key"},
		{"recipient with control character", rost(func(r *Roster) { r.Team.Members[0].Recipient = "age1\x1b" }), "printable"},
		{"invalid member name", rost(func(r *Roster) { r.Team.Members[0].Name = "al ice" }), "invalid member name"},
		{"environment as a path", rost(func(r *Roster) { r.Team.Environments[0].Name = "../prod" }), "invalid environment name"},
		{"environment twice", rost(func(r *Roster) { r.Team.Environments[1].Name = "production" }), "twice"},
		{"environment lists a non-member", rost(func(r *Roster) { r.Team.Environments[0].Members = append(r.Team.Environments[0].Members, "mallory") }), "'mallory', who is not a member"},
		{"environment lists a member twice", rost(func(r *Roster) { r.Team.Environments[1].Members = []string{"sam", "sam"} }), "twice"},
		{"default not an environment", rost(func(r *Roster) { r.Team.Default = "qa" }), "default"},
		{"max_age of no environment", rost(func(r *Roster) { r.Team.MaxAge = map[string]string{"qa": "1d"} }), "max_age"},
		{"floor of no environment", rost(func(r *Roster) { r.Floors = map[string]uint64{"qa": 1} }), "floor"},
		{"unsigned_ok twice", rost(func(r *Roster) { r.UnsignedOK = []string{"staging", "staging"} }), "unsigned_ok"},
		{"negative floor", strings.Replace(good, `"floors":{"production":40}`, `"floors":{"production":-1}`, 1), "line 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse([]byte(tc.file))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse = %+v, %v; want ErrMalformed", f, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
			if strings.ContainsAny(err.Error(), "\x1b\n") {
				t.Errorf("error carries control characters: %q", err)
			}
		})
	}
}

// TRUST.md (d) 23: hostile sizes are refused before any JSON is decoded.
func TestParseLimitsComeFirst(t *testing.T) {
	lines := bytes.Repeat([]byte("x\n"), 100000)
	if _, err := Parse(lines); err == nil || !strings.Contains(err.Error(), "more than 1000 log lines") {
		t.Errorf("10⁵ lines: %v", err)
	}
	// 1001 log lines and a roster, the last line without its newline.
	p0 := newProject(t)
	long := bytes.Repeat(append(encodeLine("log", p0.log[0].Body, nil), '\n'), MaxLogEntries+1)
	long = append(long, encodeLine("roster", p0.roster.Body, nil)...)
	if _, err := Parse(long); err == nil || !strings.Contains(err.Error(), "more than 1000 log lines") {
		t.Errorf("1001 log lines: %v", err)
	}
	deep := append(bytes.Repeat([]byte("["), MaxTeamSigSize-1), '\n')
	if _, err := Parse(deep); !errors.Is(err, ErrMalformed) {
		t.Errorf("deep nesting: %v", err)
	}
	var sigs []Signature
	for range maxSigs + 1 {
		sigs = append(sigs, Signature{Key: "k", Sig: "s"})
	}
	many := string(encodeLine("log", p0.log[0].Body, sigs)) + "\n" + string(encodeLine("roster", p0.roster.Body, nil)) + "\n"
	if _, err := Parse([]byte(many)); err == nil || !strings.Contains(err.Error(), "signatures") {
		t.Errorf("%d signatures: %v", len(sigs), err)
	}
}

func TestWritersRefuseWhatReadersRefuse(t *testing.T) {
	p := newProject(t)
	if _, err := AppendLogEntry(p.log, nil, 1, epoch(3), testKey("alice")); err == nil {
		t.Error("appended an entry without admins")
	}
	if _, err := AppendLogEntry(p.log, []Admin{admin("alice")}, 2, epoch(3), testKey("alice")); err == nil {
		t.Error("appended an entry with an impossible threshold")
	}
	if _, err := NewGenesis("bad name", testKey("alice"), epoch(0)); err == nil {
		t.Error("genesis with an invalid admin name")
	}
	team := baseTeam()
	team.Environments[0].Members = append(team.Environments[0].Members, "mallory")
	if _, err := SignRoster(p.log, Roster{Version: 2, Team: team}, epoch(3), testKey("alice")); err == nil {
		t.Error("signed a roster listing a non-member")
	}
	if _, err := SignRoster(nil, Roster{Version: 1, Team: baseTeam()}, epoch(3), testKey("alice")); err == nil {
		t.Error("signed a roster without a log")
	}
	if _, err := Encode(&File{Log: p.log}); err == nil {
		t.Error("encoded a file without a roster")
	}
	// Empty lists are written as [] and {}, not null.
	r, err := SignRoster(p.log, Roster{Version: 2, Team: Team{}}, epoch(3), testKey("alice"))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"floors", "unsigned_ok"} {
		if s := string(raw[k]); s != "{}" && s != "[]" {
			t.Errorf("%s = %s", k, s)
		}
	}
	// Signing twice with one key keeps one signature.
	if err := r.AddSignature(testKey("alice")); err != nil || len(r.Sigs) != 1 {
		t.Errorf("signatures after signing twice: %d, %v", len(r.Sigs), err)
	}
}
