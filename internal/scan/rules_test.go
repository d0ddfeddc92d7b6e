package scan

import (
	"encoding/base64"
	"strings"
	"testing"
)

// Credentials in this file are assembled at run time, so the source itself
// holds no credential shape for envsafe scan (or GitHub) to report.
func join(parts ...string) string { return strings.Join(parts, "") }

func jwtOf(header string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return join(enc([]byte(header)), ".", enc([]byte(`{"sub":"1234567890","name":"x"}`)), ".", "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
}

func TestRulesFindCredentialShapesAndSkipNearMisses(t *testing.T) {
	awsSecret := join("wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYzq3Lk9Tn1v")
	cases := []struct {
		rule     string
		hits     []string
		nearMiss []string
	}{
		{"aws-access-key-id",
			[]string{join("AWS_ACCESS_KEY_ID=", "AKIA", "Q3RYXH7JZ2MBV6WC"), join("key: ", "ASIA", "Q3RYXH7JZ2MBV6WC")},
			[]string{
				join("AKIA", "IOSFODNN7", "EXAMPLE"), // AWS's documented example
				join("AKIA", "Q3RYXH7JZ2MBV6W"),      // 15 characters
				join("XAKIA", "Q3RYXH7JZ2MBV6WC"),    // inside a word
				join("AKIA", "q3ryxh7jz2mbv6wc"),     // lower case
			}},
		{"aws-secret-access-key",
			[]string{join("aws_secret_access_key = ", awsSecret), join(`"SecretAccessKey": "`, awsSecret, `"`), join("AWS_SECRET_ACCESS_KEY=", awsSecret)},
			[]string{
				join("aws_secret_access_key = ", "wJalrXUtnFEMI/K7MDENG/bPxRfiCY", "EXAMPLEKEY"),
				join("aws_secret_access_key = ", strings.Repeat("a", 40)),
				join("aws_secret_access_key = ", awsSecret[:39]),
				join("other_key = ", awsSecret),
			}},
		{"github-token",
			[]string{join("token: ", "ghp_", "R8sT2uVw4XyZ6aBc8DeF0gHi2JkL4mNo6PqR"), join("gh", "s_", "R8sT2uVw4XyZ6aBc8DeF0gHi2JkL4mNo6PqR"),
				join("github", "_pat_", "11ABCDEFG0abcdefghijkl", "_", "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789aBcDeFgHiJkLmNoPqRsTuVw")},
			[]string{
				join("ghp_", "R8sT2uVw4XyZ6aBc8DeF0gHi2JkL4mNo6Pq"),   // 35 characters
				join("ghx_", "R8sT2uVw4XyZ6aBc8DeF0gHi2JkL4mNo6PqR"),  // no such prefix
				join("ghp_", strings.Repeat("x", 36)),                 // placeholder
				join("ghp_", "R8sT2uVw4XyZ6aBc8DeF0gHi2JkL4mNo6PqRs"), // 37: part of something longer
			}},
		{"gitlab-token",
			[]string{join("CI_TOKEN=", "glpat-", "Ab3De5Gh7Jk9Mn1Pq3St")},
			[]string{join("glpat-", "Ab3De5Gh7Jk9Mn1Pq3S"), join("glpat-", "xxxxxxxxxxxxxxxxxxxx"), join("glpatx-", "Ab3De5Gh7Jk9Mn1Pq3St")}},
		{"slack-token",
			[]string{join("xox", "b-", "2345678901-2345678901234-Ab3De5Gh7Jk9Mn1Pq3St")},
			[]string{join("xox", "b-", "your-token-here"), join("xox", "z-", "2345678901-2345678901234-Ab3De5Gh7Jk9Mn1Pq3St")}},
		{"slack-webhook",
			[]string{join("https://hooks.slack.com/", "services/T0A1B2C3D/B0A1B2C3D/Ab3De5Gh7Jk9Mn1Pq3StUv5W")},
			[]string{join("https://hooks.slack.com/", "services/T0A1B2C3D/B0A1B2C3D/XXXXXXXXXXXXXXXXXXXXXXXX"), "see https://hooks.slack.com/ for details"}},
		{"stripe-key",
			[]string{join("STRIPE_KEY=", "sk_", "live_", "4eC39HqLyjWDarjtT1zdp7dc"), join("rk_", "test_", "4eC39HqLyjWDarjtT1zdp7dc")},
			[]string{join("pk_", "live_", "4eC39HqLyjWDarjtT1zdp7dc"), join("sk_", "live_", "4eC39HqLyjWDarjtT1zd"[:19])}},
		{"google-api-key",
			[]string{join("key=", "AIza", "SyD3x8Hk2Lm9Np4Qr6St8Uv0Wx2Yz4Ab6Cd")},
			[]string{join("AIza", "SyD3x8Hk2Lm9Np4Qr6St8Uv0Wx2Yz4Ab6C"), join("AIza", "SyD3x8Hk2Lm9Np4Qr6St8Uv0Wx2Yz4Ab6Cde")}},
		{"azure-storage-key",
			[]string{join("DefaultEndpointsProtocol=https;AccountName=x;AccountKey=", strings.Repeat("Ab3De5Gh7Jk9Mn1Pq3St", 4), "Uv5Wx7", "==")},
			[]string{join("AccountKey=", strings.Repeat("Ab3De5Gh7Jk9Mn1Pq3St", 4), "==")}},
		{"private-key",
			[]string{join("-----BEGIN ", "RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAr3mL9q8b2Xh7", "Vg3ZlK0Jf1aY5cW9pE2nT4uR6sQ8dM\n"),
				join("-----BEGIN ", "OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"),
				join(`{"private_key": "-----BEGIN `, `PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"}`)},
			[]string{
				join("-----BEGIN ", "PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr3mL9q8b2Xh7\n"),
				join("Paste the -----BEGIN ", "PRIVATE KEY----- block here.\n-----END PRIVATE KEY-----\n"),
			}},
		{"age-secret-key",
			[]string{join("AGE-SECRET-KEY-", "1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQ")},
			[]string{join("AGE-SECRET-KEY-", "1QYQSZQGPQ"), join("age1", "qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs")}},
		{"jwt",
			[]string{join("Authorization: Bearer ", jwtOf(`{"alg":"HS256","typ":"JWT"}`))},
			[]string{jwtOf(`{"typ":"JWT"}`), join("eyJ", "hbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.")}},
		{"url-password",
			[]string{join("DATABASE_URL=postgres://app:", "s3cr3t-Pa55", "@db.internal:5432/app"), join("redis://:", "Zk8hQ2mLx9", "@cache:6379")},
			[]string{
				"postgres://app:${DB_PASSWORD}@db/app",
				"postgres://app:%s@db/app",
				"https://user:password@example.com/",
				"https://example.com:8443/path",
				"git@github.com:org/repo.git",
				"mongodb://app:<password>@cluster0/",
				"http://user:@host/",
			}},
	}
	s := New(nil)
	for _, c := range cases {
		for _, line := range c.hits {
			fs := s.Scan(Text{Path: "f", Data: []byte("first line\n" + line + "\nlast line\n")})
			if !hasRule(fs, c.rule, 2) {
				t.Errorf("%s: missed in %q: %+v", c.rule, line, fs)
			}
		}
		for _, line := range c.nearMiss {
			for _, f := range s.Scan(Text{Path: "f", Data: []byte(line + "\n")}) {
				if f.Rule == c.rule {
					t.Errorf("%s: false positive in %q", c.rule, line)
				}
			}
		}
	}
}

func hasRule(fs []Finding, rule string, line int) bool {
	for _, f := range fs {
		if f.Rule == rule && f.Line == line {
			return true
		}
	}
	return false
}

func TestFindingsNeverCarryTheMatch(t *testing.T) {
	token := join("ghp_", "R8sT2uVw4XyZ6aBc8DeF0gHi2JkL4mNo6PqR")
	for _, f := range New(nil).Scan(Text{Path: "x", Data: []byte("t=" + token)}) {
		if strings.Contains(f.Description+f.Rule+f.Path, token[4:12]) {
			t.Fatalf("finding quotes the token: %+v", f)
		}
	}
}

func TestAllowMarkerSkipsTheLine(t *testing.T) {
	token := join("ghp_", "R8sT2uVw4XyZ6aBc8DeF0gHi2JkL4mNo6PqR")
	data := "a = \"" + token + "\"  # " + AllowMarker + "\nb = \"" + token + "\"\n"
	fs := New(nil).Scan(Text{Path: "x", Data: []byte(data)})
	if len(fs) != 1 || fs[0].Line != 2 {
		t.Fatalf("findings %+v, want only line 2", fs)
	}
}

func TestLongLinesAndManyKeywordsStayCorrect(t *testing.T) {
	token := join("ghp_", "R8sT2uVw4XyZ6aBc8DeF0gHi2JkL4mNo6PqR")
	long := strings.Repeat("var a=1;ghp_;", 50000) + token + strings.Repeat(";b", 50000)
	fs := New(nil).Scan(Text{Path: "min.js", Data: []byte("x\n" + long + "\n")})
	if !hasRule(fs, "github-token", 2) {
		t.Fatalf("token on a long line missed: %+v", fs)
	}
}

func TestRuleIDsAreDocumentedOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range RuleIDs() {
		if seen[r[0]] || r[1] == "" {
			t.Fatalf("rule %q repeated or undescribed", r[0])
		}
		seen[r[0]] = true
	}
	if len(seen) < 14 {
		t.Fatalf("only %d rules", len(seen))
	}
}
