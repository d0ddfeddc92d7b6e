package commands

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/envsafe/envsafe/internal/audit"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/scan"
	"github.com/envsafe/envsafe/internal/store"
)

// Tests of the secrets workflow: set --generate, check, diff, the audit
// log, scan and the pre-commit hook.

func (h *harness) value(args ...string) string {
	h.t.Helper()
	h.must(append([]string{"get"}, args...)...)
	return h.stdout.String()
}

func (h *harness) appendTeam(text string) {
	h.t.Helper()
	path := filepath.Join(h.deps.Dir, store.DirName, store.TeamFile)
	data, err := os.ReadFile(path)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(path, append(data, text...), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

func TestSetGenerateStoresRandomValuesItNeverShows(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	h.must("set", "SESSION_KEY", "--generate")
	if h.stdout.Len() != 0 {
		t.Fatalf("set --generate printed on stdout: %q", h.stdout)
	}
	first := h.value("SESSION_KEY")
	if !regexp.MustCompile(`^[A-Za-z0-9]{32}$`).MatchString(first) {
		t.Fatalf("default value is not 32 alnum characters: len %d", len(first))
	}
	h.must("set", "SESSION_KEY", "--generate")
	if strings.Contains(h.stderr.String(), first) {
		t.Fatal("the value reached stderr")
	}
	if !strings.Contains(h.stderr.String(), "Generated 1 random value of 32 alnum characters (190 bits of entropy)") {
		t.Fatalf("stderr %q", h.stderr)
	}
	if second := h.value("SESSION_KEY"); second == first {
		t.Fatal("regenerating kept the same value")
	}
	h.must("set", "A", "B", "--generate", "48", "--charset", "hex")
	a, b := h.value("A"), h.value("B")
	if !regexp.MustCompile(`^[0-9a-f]{48}$`).MatchString(a) || len(b) != 48 || a == b {
		t.Fatalf("hex values: %d and %d characters, equal: %v", len(a), len(b), a == b)
	}
	h.must("set", "URLSAFE", "--generate", "--charset", "base64")
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{32}$`).MatchString(h.value("URLSAFE")) {
		t.Fatal("base64 charset is not URL-safe")
	}
	for _, bad := range [][]string{
		{"set", "A=1", "--generate"},
		{"set", "A", "--generate", "8"},
		{"set", "A", "--generate", "5000"},
		{"set", "A", "--generate", "32", "64"},
		{"set", "A", "--charset", "hex"},
		{"set", "A", "--generate", "--charset", "emoji"},
		{"set", "--generate"},
		{"set", "A", "A", "--generate"},
		{"set", "A", "--generate", "--file", "x"},
	} {
		if code := h.run(bad...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", bad, code, ExitUsage)
		}
	}
}

func TestCheckReportsStaleSecretsWithAFakeClock(t *testing.T) {
	h := newHarness(t)
	h.must("init", "-e", "development", "-e", "production")
	h.appendTeam("max_age:\n  production: 30d\n")
	t0 := h.deps.Now()
	h.must("set", "OLD_KEY=1", "FRESH_KEY=2", "-e", "production")
	h.must("set", "DEV=1")
	h.must("check")
	if h.stdout.Len() != 0 || !strings.Contains(h.stderr.String(), "No problems in development, production") {
		t.Fatalf("clean check: stdout %q stderr %q", h.stdout, h.stderr)
	}
	// 20 days later FRESH_KEY is rotated; 31 days after the start only
	// OLD_KEY is older than 30 days.
	h.deps.Now = func() time.Time { return t0.Add(20 * 24 * time.Hour) }
	h.must("set", "FRESH_KEY=3", "-e", "production")
	h.deps.Now = func() time.Time { return t0.Add(31 * 24 * time.Hour) }
	if code := h.run("check"); code != ExitFailure {
		t.Fatalf("exit %d, want 1", code)
	}
	want := "production: stale: OLD_KEY (last changed 2026-11-27; max_age 30d)\n"
	if h.stdout.String() != want {
		t.Fatalf("stdout %q, want %q", h.stdout, want)
	}
	if !strings.Contains(h.stderr.String(), "envsafe: check: 1 problem in production") || strings.Contains(h.stderr.String(), "error:") {
		t.Fatalf("stderr %q", h.stderr)
	}
	if code := h.run("check", "-e", "development"); code != 0 {
		t.Fatalf("development has no max_age: exit %d", code)
	}
	h.run("check", "--json")
	var r checkReport
	if err := json.Unmarshal(h.stdout.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Problems != 1 || len(r.Environments) != 2 || r.Environments[1].Stale[0].Name != "OLD_KEY" || r.Environments[1].MaxAge != "30d" {
		t.Fatalf("json %+v", r)
	}
	h.must("ls", "--long", "-e", "production")
	if !regexp.MustCompile(`(?m)^OLD_KEY .*31 days +stale \(max_age 30d\)$`).MatchString(h.stdout.String()) ||
		regexp.MustCompile(`(?m)^FRESH_KEY .*stale`).MatchString(h.stdout.String()) {
		t.Fatalf("ls --long:\n%s", h.stdout)
	}
	h.must("ls", "--json", "-e", "production")
	if !strings.Contains(h.stdout.String(), `"stale": true`) {
		t.Fatalf("ls --json: %s", h.stdout)
	}
	h.must("set", "OLD_KEY", "--generate", "-e", "production")
	h.must("check")
}

func TestCheckFindsMissingNamesDriftAndConflicts(t *testing.T) {
	h := newHarness(t)
	h.must("init", "-e", "staging", "-e", "production")
	h.must("set", "A=1", "B=2", "C=3", "-e", "production")
	h.must("set", "A=1", "-e", "staging")
	if code := h.run("check", "-e", "staging", "--against", "production"); code != ExitFailure {
		t.Fatalf("exit %d", code)
	}
	if h.stdout.String() != "staging: missing: B (in production)\nstaging: missing: C (in production)\n" {
		t.Fatalf("stdout %q", h.stdout)
	}
	// A teammate's pull request adds bob to team.yaml; nobody ran sync.
	h.must("identity", "new", "--file", "bob.key")
	bob := strings.TrimSpace(h.stdout.String())
	path := filepath.Join(h.deps.Dir, store.DirName, store.TeamFile)
	data, _ := os.ReadFile(path)
	text := strings.Replace(string(data), "members:\n", "members:\n  bob: "+bob+"\n", 1)
	text = strings.Replace(text, "production: [alice-example]", "production: [alice-example, bob]", 1)
	os.WriteFile(path, []byte(text), 0o644)
	if code := h.run("check", "-e", "production"); code != ExitFailure || h.stdout.String() != "production: drift: team.yaml adds bob; run envsafe sync\n" {
		t.Fatalf("exit %d stdout %q", code, h.stdout)
	}
	h.must("sync", "--yes")
	h.must("check", "-e", "production")
	// Unknown or invalid environments are usage and lookup errors.
	if code := h.run("check", "-e", "nope"); code != ExitFailure || !strings.Contains(h.stderr.String(), `no such environment "nope"`) {
		t.Fatalf("exit %d %s", code, h.stderr)
	}
	if code := h.run("check", "-e", "Bad Name"); code != ExitUsage {
		t.Fatalf("exit %d", code)
	}
}

func TestDiffComparesNamesAndValuesOnlyOnRequest(t *testing.T) {
	h := newHarness(t)
	h.must("init", "-e", "staging", "-e", "production")
	h.must("set", "SAME=1", "DIFF=staging-value", "ONLY_STAGING=x", "-e", "staging")
	h.must("set", "SAME=1", "DIFF=production-value", "ONLY_PROD=y", "-e", "production")
	h.must("diff", "staging", "production")
	if h.stdout.String() != "< ONLY_STAGING\n> ONLY_PROD\n~ DIFF\n" {
		t.Fatalf("stdout %q", h.stdout)
	}
	if strings.Contains(h.stdout.String()+h.stderr.String(), "value") {
		t.Fatal("a value was shown without --values")
	}
	h.deps.StdoutIsTTY = true
	h.must("diff", "staging", "production", "--values")
	if !strings.Contains(h.stdout.String(), `~ DIFF: "staging-value" -> "production-value"`) || !strings.Contains(h.stderr.String(), "values are on screen") {
		t.Fatalf("stdout %q stderr %q", h.stdout, h.stderr)
	}
	h.deps.StdoutIsTTY = false
	h.must("diff", "staging", "production", "--json")
	var r envDiff
	if err := json.Unmarshal(h.stdout.Bytes(), &r); err != nil || len(r.Different) != 1 || r.ValuesA != nil {
		t.Fatalf("json %s %v", h.stdout, err)
	}
	for _, bad := range [][]string{{"diff", "staging"}, {"diff", "staging", "staging"}, {"diff", "a", "b", "c"}} {
		if code := h.run(bad...); code != ExitUsage {
			t.Errorf("%v: exit %d", bad, code)
		}
	}
}

func TestAuditLogsEachDecryptionWithoutValues(t *testing.T) {
	h := newHarness(t)
	h.deps.Audit = audit.New(filepath.Join(t.TempDir(), "state", "envsafe"), nil)
	h.must("init")
	h.must("set", "API_KEY=value-one-secret", "DB=value-two-secret")
	lines := func() []audit.Entry {
		es, skipped, err := h.deps.Audit.Read(time.Time{})
		if err != nil || skipped != 0 {
			t.Fatalf("%v, %d skipped", err, skipped)
		}
		return es
	}
	if n := len(lines()); n != 0 {
		t.Fatalf("set (a write) logged %d lines", n)
	}
	h.must("get", "API_KEY")
	h.must("export")
	h.must("ls")
	// run logs before it hands over to the program.
	var atExec int
	h.deps.Environ = os.Environ
	h.env["PATH"] = os.Getenv("PATH")
	h.deps.Exec = func(context.Context, string, []string, []string) error {
		atExec = len(lines())
		return nil
	}
	h.must("run", "--", "sh", "-c", "true")
	es := lines()
	if len(es) != 4 || atExec != 4 {
		t.Fatalf("%d lines (%d when exec started), want 4: %+v", len(es), atExec, es)
	}
	wantCmd := []string{"get", "export", "ls", "run"}
	for i, e := range es {
		if e.Command != wantCmd[i] || e.Env != "development" || e.Project != h.deps.Dir {
			t.Errorf("line %d: %+v", i, e)
		}
	}
	if strings.Join(es[0].Names, ",") != "API_KEY" || strings.Join(es[3].Names, ",") != "API_KEY,DB" || es[3].Count != 2 {
		t.Fatalf("names: %+v / %+v", es[0], es[3])
	}
	raw, _ := os.ReadFile(h.deps.Audit.Path())
	if strings.Contains(string(raw), "value-") {
		t.Fatal("the audit log holds a value")
	}
	h.must("audit", "--json")
	var back []audit.Entry
	if err := json.Unmarshal(h.stdout.Bytes(), &back); err != nil || len(back) != 4 {
		t.Fatalf("audit --json: %v %s", err, h.stdout)
	}
	h.must("audit", "--since", "1h")
	if !strings.Contains(h.stdout.String(), "run ") || !strings.Contains(h.stdout.String(), "API_KEY,DB") {
		t.Fatalf("audit:\n%s", h.stdout)
	}
	if code := h.run("audit", "--since", "yesterday"); code != ExitUsage {
		t.Fatalf("bad --since: exit %d", code)
	}
}

func TestAuditFailureNeverStopsACommand(t *testing.T) {
	h := newHarness(t)
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, nil, 0o600)
	h.deps.Audit = audit.New(filepath.Join(blocker, "envsafe"), nil) // a folder under a file
	h.must("init")
	h.must("set", "A=1")
	h.deps.Environ = os.Environ
	h.env["PATH"] = os.Getenv("PATH")
	calls := h.recordExec()
	h.must("run", "--", "true")
	if len(*calls) != 1 {
		t.Fatal("run did not exec when the audit log failed")
	}
	if !strings.Contains(h.stderr.String(), "warning: could not write the audit log") {
		t.Fatalf("no warning: %q", h.stderr)
	}
	h.must("status") // reads once per environment: still one warning
	if strings.Count(h.stderr.String(), "audit log") > 1 {
		t.Fatalf("warned more than once: %q", h.stderr)
	}
}

// TestImportRefusesCiphertextOfOtherTools: a value sops encrypted, in a
// file that is not a whole sops file, is refused with the command that
// decrypts it; a dotenvx file without its key is refused naming the key.
// Neither stores ciphertext as if it were the secret.
func TestImportRefusesCiphertextOfOtherTools(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	files := map[string]struct {
		code int
		want string
	}{
		"sops.env":    {ExitFailure, "API_KEY (sops.env:2) is encrypted by sops"},
		"dotenvx.env": {ExitNoAccess, "dotenvx.env holds values encrypted by dotenvx, and its key DOTENV_PRIVATE_KEY is missing"},
	}
	contents := map[string]string{
		"sops.env":    "A=1\nAPI_KEY=ENC[AES256_GCM,data:Tr7o,iv:1u8=,tag:Jm0=,type:str]\nsops_version=3.8.1\n",
		"dotenvx.env": "DOTENV_PUBLIC_KEY=\"03af\"\nAPI_KEY=\"encrypted:BE9Y7LKANx77X1pv\"\n",
	}
	for file, c := range files {
		os.WriteFile(filepath.Join(h.deps.Dir, file), []byte(contents[file]), 0o600)
		if code := h.run("import", file); code != c.code {
			t.Fatalf("%s: exit %d: %s", file, code, h.stderr)
		}
		if !strings.Contains(h.stderr.String(), c.want) || !strings.Contains(h.stderr.String(), "hint: ") {
			t.Fatalf("%s: %s", file, h.stderr)
		}
		if strings.Contains(h.stderr.String(), "Tr7o") || strings.Contains(h.stderr.String(), "BE9Y") {
			t.Fatal("the ciphertext was echoed")
		}
	}
	h.must("ls")
	if h.stdout.Len() != 0 {
		t.Fatalf("something was imported: %q", h.stdout)
	}
}

func TestFindingsExitOneWithASummaryLine(t *testing.T) {
	err := hint.With(&findingsError{summary: "scan: 2 findings in 1 file"}, "do this")
	if ExitCode(err) != ExitFailure {
		t.Fatal("findings must exit 1")
	}
	var b strings.Builder
	report(&b, err)
	if b.String() != "envsafe: scan: 2 findings in 1 file\nenvsafe: hint: do this\n" {
		t.Fatalf("%q", b.String())
	}
}

// gitHarness is a harness inside a real git repository, for scan, hook and
// log; it skips when git is not installed.
func gitHarness(t *testing.T) *harness {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	h := newHarness(t)
	h.deps.Git = func(dir string, args ...string) ([]byte, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@x", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@x")
		out, err := cmd.Output()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			err = errors.New(strings.TrimSpace(string(exit.Stderr)))
		}
		return out, err
	}
	h.deps.SelfCommand = func() string { return "/opt/envsafe it's/envsafe" }
	h.git("init", "-q", "-b", "main")
	return h
}

func (h *harness) git(args ...string) string {
	h.t.Helper()
	out, err := h.deps.Git(h.deps.Dir, args...)
	if err != nil {
		h.t.Fatalf("git %v: %v", args, err)
	}
	return string(out)
}

func (h *harness) write(name, content string) {
	h.t.Helper()
	path := filepath.Join(h.deps.Dir, name)
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

func TestScanWorkingTreeStagedAndHistory(t *testing.T) {
	h := gitHarness(t)
	h.must("init", "-e", "development", "-e", "production")
	h.must("set", "DB_PASSWORD=hunter2-but-longer", "-e", "production")
	h.write(".gitignore", "ignored.txt\n")
	h.write("src/app.go", "package app\n\n// connect\nvar dsn = \"postgres://app:hunter2-but-longer@db/app\"\n")
	h.write("src/ok.go", "var example = \"hunter2-but-longer\" // envsafe:allow\n")
	h.write("fixtures/keys.txt", "hunter2-but-longer\n")
	h.write(".envsafe/scanignore", "# test fixtures\nfixtures/\n")
	h.write(".env", "X=1\n")
	h.write(".env.example", "DB_PASSWORD=\n")
	h.write("ignored.txt", "hunter2-but-longer\n")
	if code := h.run("scan"); code != ExitFailure {
		t.Fatalf("exit %d: %s", code, h.stderr)
	}
	want := ".env: dotenv-file: plaintext .env file that git tracks or does not ignore\n" +
		"src/app.go:4: envsafe-secret: the value of DB_PASSWORD in production\n" +
		"src/app.go:4: url-password: password in a URL\n"
	if h.stdout.String() != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", h.stdout, want)
	}
	if strings.Contains(h.stdout.String()+h.stderr.String(), "hunter2") {
		t.Fatal("scan printed the value")
	}
	if !strings.Contains(h.stderr.String(), "envsafe: scan: 3 findings in 2 files") {
		t.Fatalf("stderr %q", h.stderr)
	}
	// A file named on the command line is read even if git ignores it.
	if code := h.run("scan", "ignored.txt"); code != ExitFailure || !strings.Contains(h.stdout.String(), "ignored.txt:1: envsafe-secret") {
		t.Fatalf("exit %d: %s", code, h.stdout)
	}
	// --staged sees only what is staged; --history only what was committed.
	h.must("scan", "--staged")
	h.git("add", "src/ok.go", ".gitignore", ".envsafe")
	h.must("scan", "--staged")
	h.git("add", "src/app.go")
	if code := h.run("scan", "--staged", "--json"); code != ExitFailure {
		t.Fatalf("exit %d", code)
	}
	var r scanReport
	if err := json.Unmarshal(h.stdout.Bytes(), &r); err != nil || len(r.Findings) != 2 || r.Findings[0].Path != "src/app.go" || r.Findings[0].Line != 4 || r.Values != 1 {
		t.Fatalf("json %s %v", h.stdout, err)
	}
	h.git("commit", "-q", "--no-verify", "-m", "leak")
	h.git("rm", "-q", "src/app.go")
	h.git("commit", "-q", "-m", "remove it again")
	h.must("scan", "src")
	if code := h.run("scan", "--history"); code != ExitFailure {
		t.Fatalf("exit %d", code)
	}
	head := strings.TrimSpace(h.git("rev-parse", "HEAD~1"))
	if !strings.Contains(h.stdout.String(), head[:12]+" src/app.go:4: envsafe-secret: the value of DB_PASSWORD in production") {
		t.Fatalf("history:\n%s", h.stdout)
	}
	if code := h.run("scan", "--staged", "--history"); code != ExitUsage {
		t.Fatalf("exit %d", code)
	}
}

func TestScanQuotesFileNamesWithControlCharacters(t *testing.T) {
	var b strings.Builder
	printFindings(&b, []scan.Finding{{Path: "evil\x1b[2Jname.txt", Line: 3, Rule: "r", Description: "d"}, {Path: "ok/é.txt", Rule: "r", Description: "d"}})
	if b.String() != "\"evil\\x1b[2Jname.txt\":3: r: d\nok/é.txt: r: d\n" {
		t.Fatalf("%q", b.String())
	}
}

func TestScanOutsideGitAndWithoutIdentity(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	h.must("set", "K=value-of-k-1234")
	h.write("a.txt", "value-of-k-1234\n")
	h.write(".env.local", "K=value-of-k-1234\n")
	if code := h.run("scan"); code != ExitFailure {
		t.Fatalf("exit %d", code)
	}
	if h.stdout.String() != ".env.local: dotenv-file: plaintext .env file\n.env.local:1: envsafe-secret: the value of K in development\na.txt:1: envsafe-secret: the value of K in development\n" {
		t.Fatalf("stdout %q", h.stdout)
	}
	if code := h.run("scan", "--staged"); code != ExitFailure || !strings.Contains(h.stderr.String(), "not inside a git repository") {
		t.Fatalf("exit %d %s", code, h.stderr)
	}
	// With the keychain unreachable, values are not looked for, and scan
	// says NOT CHECKED...
	h.kc.Err = errors.New("keychain gone")
	h.run("scan")
	if !strings.Contains(h.stderr.String(), "NOT CHECKED: the secret values of development") || strings.Contains(h.stdout.String(), "a.txt") {
		t.Fatalf("stdout %q stderr %q", h.stdout, h.stderr)
	}
	// ...and fails even when nothing else is found: the hook must not say
	// "No secrets found" about a file holding a project secret.
	if err := os.Remove(filepath.Join(h.deps.Dir, ".env.local")); err != nil {
		t.Fatal(err)
	}
	if code := h.run("scan"); code != ExitNoIdentity || !strings.Contains(h.stderr.String(), "NOT CHECKED") || strings.Contains(h.stderr.String(), "No secrets found") {
		t.Fatalf("scan with values not loaded: exit %d, stderr %q", code, h.stderr)
	}
}

// A committed scanignore holding "*" must not hide .env files, and scan
// says what it skipped.
func TestScanIgnoreNeverHidesDotenvFiles(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	h.must("set", "NODE_ENV=production", "K=value-of-k-1234")
	h.write(".envsafe/scanignore", "*\n")
	h.write("src/app.js", "const key = 'value-of-k-1234'; // production\n")
	h.write(".env", "K=value-of-k-1234\n")
	if code := h.run("scan"); code != ExitFailure {
		t.Fatalf("scan: exit %d, want findings; stderr %q", code, h.stderr)
	}
	if !strings.Contains(h.stdout.String(), ".env: dotenv-file") {
		t.Fatalf("scanignore * hid the .env file: stdout %q", h.stdout)
	}
	if !strings.Contains(h.stderr.String(), "Skipped by .envsafe/scanignore: src/app.js") {
		t.Fatalf("scan did not say what scanignore skipped: %q", h.stderr)
	}
	if !strings.Contains(h.stderr.String(), "too common to be secrets: NODE_ENV in development") {
		t.Fatalf("scan did not list the values too common to search: %q", h.stderr)
	}
}

func TestHookInstallChainsAnExistingHookAndIsIdempotent(t *testing.T) {
	h := gitHarness(t)
	h.must("init")
	hooks := filepath.Join(h.deps.Dir, ".git", "hooks")
	os.MkdirAll(hooks, 0o755)
	os.WriteFile(filepath.Join(hooks, "pre-commit"), []byte("#!/bin/sh\necho mine\n"), 0o755)
	h.must("hook", "install")
	if !strings.Contains(h.stderr.String(), "Kept your existing pre-commit hook as") {
		t.Fatalf("stderr %q", h.stderr)
	}
	kept, _ := os.ReadFile(filepath.Join(hooks, "pre-commit.local"))
	if string(kept) != "#!/bin/sh\necho mine\n" {
		t.Fatalf("old hook not kept: %q", kept)
	}
	ours, _ := os.ReadFile(filepath.Join(hooks, "pre-commit"))
	fi, _ := os.Stat(filepath.Join(hooks, "pre-commit"))
	if !strings.Contains(string(ours), `exec '/opt/envsafe it'\''s/envsafe' scan --staged`) || fi.Mode().Perm()&0o111 == 0 {
		t.Fatalf("hook %q mode %v", ours, fi.Mode())
	}
	h.must("hook", "install")
	if !strings.Contains(h.stderr.String(), "already installed") {
		t.Fatalf("second install: %q", h.stderr)
	}
	again, _ := os.ReadFile(filepath.Join(hooks, "pre-commit.local"))
	if string(again) != string(kept) {
		t.Fatal("re-running chained the hook to itself")
	}
	// core.hooksPath is honoured.
	h.git("config", "core.hooksPath", ".githooks")
	h.must("hook", "install")
	if _, err := os.Stat(filepath.Join(h.deps.Dir, ".githooks", "pre-commit")); err != nil {
		t.Fatalf("core.hooksPath ignored: %v", err)
	}
}

func TestInitAndImportOfferTheHook(t *testing.T) {
	h := gitHarness(t)
	h.must("init")
	if !strings.Contains(h.stderr.String(), "Tip: `envsafe hook install`") {
		t.Fatalf("init off a terminal: %q", h.stderr)
	}
	h.write(".env", "A=1\n")
	h.deps.StdinIsTTY = true
	h.script.Answers = []string{"n", "y"} // .gitignore: no; hook: yes
	h.must("import")
	if len(h.script.Asked) != 2 || !strings.Contains(h.script.Asked[1], "pre-commit hook") {
		t.Fatalf("asked %q", h.script.Asked)
	}
	if _, err := os.Stat(filepath.Join(h.deps.Dir, ".git", "hooks", "pre-commit")); err != nil {
		t.Fatal("hook not installed after yes")
	}
	h.script.Asked = nil
	h.script.Answers = []string{"n"}
	h.must("import")
	if len(h.script.Asked) != 1 {
		t.Fatalf("asked again about an installed hook: %q", h.script.Asked)
	}
}

func TestLogNamesChangesPerCommit(t *testing.T) {
	h := gitHarness(t)
	h.must("init")
	h.must("set", "A=1", "B=2")
	h.git("add", "-A")
	h.git("commit", "-q", "-m", "one")
	h.must("set", "A=changed", "C=3")
	h.must("rm", "B")
	h.git("commit", "-q", "-am", "two")
	h.must("log")
	out := h.stdout.String()
	re := regexp.MustCompile(`(?s)^commit [0-9a-f]{12}  \S+ \S+ \S+  t <t@x>\n    two\n    \+ C\n    ~ A\n    - B\n\ncommit [0-9a-f]{12}  .*\n    one\n    \+ A\n    \+ B\n$`)
	if !re.MatchString(out) {
		t.Fatalf("log:\n%s", out)
	}
	h.must("log", "B", "--json")
	var es []logEntry
	if err := json.Unmarshal(h.stdout.Bytes(), &es); err != nil || len(es) != 2 || es[0].Removed[0] != "B" || es[0].Old != nil {
		t.Fatalf("log B: %s %v", h.stdout, err)
	}
	h.must("log", "A", "--values")
	if !strings.Contains(h.stdout.String(), `~ A: "1" -> "changed"`) {
		t.Fatalf("log --values:\n%s", h.stdout)
	}
}

func TestStagedScanCoversTheWholeRepositoryOfASubfolderProject(t *testing.T) {
	h := gitHarness(t)
	top := h.deps.Dir
	h.deps.Dir = filepath.Join(top, "svc", "api")
	os.MkdirAll(h.deps.Dir, 0o755)
	h.must("init")
	h.must("set", "PW=monorepo-secret-1")
	h.deps.Dir = top
	h.write("web/conf.js", "x = \"monorepo-secret-1\"\n")
	h.git("add", "web/conf.js")
	h.deps.Dir = filepath.Join(top, "svc", "api")
	if code := h.run("scan", "--staged"); code != ExitFailure || h.stdout.String() != "../../web/conf.js:1: envsafe-secret: the value of PW in development\n" {
		t.Fatalf("exit %d stdout %q stderr %s", code, h.stdout, h.stderr)
	}
	// The working tree scan stays inside the project.
	h.must("scan")
	h.must("hook", "install")
	hook, _ := os.ReadFile(filepath.Join(top, ".git", "hooks", "pre-commit"))
	if !strings.Contains(string(hook), "cd 'svc/api' || exit 1\n") {
		t.Fatalf("hook does not enter the project:\n%s", hook)
	}
}

// The hook fails closed: with no usable identity (a missing key file, an
// empty variable, nothing at all) the project's values cannot be loaded,
// so the scan says NOT CHECKED and fails; a contributor who is not a member
// says so with --no-values.
func TestScanFailsClosedWithoutAnIdentity(t *testing.T) {
	h := newHarness(t)
	h.must("init")
	h.must("set", "TOKEN=Sup3rS3cretTokenValue")
	h.write("a.txt", "cfg = Sup3rS3cretTokenValue\n")
	for name, env := range map[string]map[string]string{
		"missing key file": {"ENVSAFE_IDENTITY_FILE": "/nonexistent"},
		"empty variable":   {"ENVSAFE_IDENTITY": ""},
	} {
		h.env = env
		if code := h.run("scan"); code != ExitNoIdentity || !strings.Contains(h.stderr.String(), "NOT CHECKED") {
			t.Errorf("%s: scan exit %d, stderr %q; want NOT CHECKED and exit 4", name, code, h.stderr)
		}
	}
	h.env = map[string]string{}
	h.kc.Err = errors.New("no keychain")
	if code := h.run("scan"); code != ExitNoIdentity || !strings.Contains(h.stderr.String(), "--no-values") {
		t.Errorf("no identity: scan exit %d, stderr %q", code, h.stderr)
	}
	if code := h.run("scan", "--no-values"); code != 0 || !strings.Contains(h.stderr.String(), "No secrets found") {
		t.Errorf("scan --no-values: exit %d, stderr %q", code, h.stderr)
	}
}

// A commit subject is anyone's text: log prints it with its control
// characters replaced, so it cannot clear the screen or fake a line.
func TestLogSubjectCannotMoveTheCursor(t *testing.T) {
	h := gitHarness(t)
	h.must("init")
	h.must("set", "A=1")
	h.git("add", "-A")
	h.git("commit", "-q", "-m", "fix\x1b[2J\x1b[1A    + FORGED")
	h.must("log")
	if out := h.stdout.String(); strings.Contains(out, "\x1b") || !strings.Contains(out, "fix?[2J?[1A    + FORGED") {
		t.Fatalf("log:\n%q", out)
	}
}
