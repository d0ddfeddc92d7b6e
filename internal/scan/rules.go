package scan

import (
	"bytes"
	"encoding/base64"
	"regexp"
	"sort"
)

// Rule IDs of the findings that are not credential shapes.
const (
	RuleSecretValue = "envsafe-secret"
	RuleDotenvFile  = "dotenv-file"
)

// ruleSpec is one credential shape. A rule runs its pattern only on the
// lines around one of its keywords, so a large file costs a few substring
// searches rather than a dozen regular expressions over all of it.
type ruleSpec struct {
	id, desc string
	// keywords are lower-case literals that every match contains.
	keywords []string
	pattern  string
	// before is how far before a keyword a match may start (0: the
	// keyword starts it). The pattern runs from there to the end of the
	// line, not over the whole line.
	before int
	// near, when set, rules out a keyword hit cheaply before the pattern
	// runs (a URL without user:password@).
	near func(data []byte, at int) bool
	// check, when set, drops matches that only look like credentials
	// (placeholders, documentation examples). m holds absolute submatch
	// offsets into data.
	check func(data []byte, m []int) bool
}

type rule struct {
	ruleSpec
	re *regexp.Regexp
}

// ruleSpecs is the documented list of credential shapes.
func ruleSpecs() []ruleSpec {
	return []ruleSpec{
		{
			id: "aws-access-key-id", desc: "AWS access key ID",
			keywords: []string{"akia", "asia", "abia", "acca"},
			pattern:  `\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b`,
			check:    func(d []byte, m []int) bool { return !placeholder(d[m[0]+4 : m[1]]) },
		},
		{
			id: "aws-secret-access-key", desc: "AWS secret access key",
			keywords: []string{"aws_secret", "awssecret", "aws-secret", "secretaccesskey", "secret_access_key"},
			before:   8,
			pattern:  `(?i)(?:aws[_-]?secret[_-]?(?:access[_-]?)?key|secret_?access_?key)["']?\s*[:=]>?\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)`,
			check:    func(d []byte, m []int) bool { return randomLooking(d[m[2]:m[3]]) },
		},
		{
			id: "github-token", desc: "GitHub token",
			keywords: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"},
			pattern:  `\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b`,
			check:    func(d []byte, m []int) bool { return !placeholder(d[m[0]+4 : m[1]]) },
		},
		{
			id: "gitlab-token", desc: "GitLab token",
			keywords: []string{"glpat-", "glptt-", "gldt-", "glrt-"},
			pattern:  `\bgl(?:pat|ptt|dt|rt)-[0-9A-Za-z_-]{20,}`,
			check:    func(d []byte, m []int) bool { return !placeholder(d[m[0]+6 : m[1]]) },
		},
		{
			id: "slack-token", desc: "Slack token",
			keywords: []string{"xoxa-", "xoxb-", "xoxo-", "xoxp-", "xoxr-", "xoxs-"},
			pattern:  `\bxox[abposr]-[0-9]{6,}-[0-9A-Za-z-]{8,}`,
			check:    func(d []byte, m []int) bool { return !placeholder(d[m[0]+5 : m[1]]) },
		},
		{
			id: "slack-webhook", desc: "Slack incoming webhook URL",
			keywords: []string{"hooks.slack.com/"},
			before:   8,
			pattern:  `https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_-]{6,}/[A-Za-z0-9_-]{6,}/[A-Za-z0-9_-]{16,}`,
			check:    func(d []byte, m []int) bool { return !placeholder(d[m[1]-16 : m[1]]) },
		},
		{
			id: "stripe-key", desc: "Stripe secret or restricted key",
			keywords: []string{"sk_live_", "sk_test_", "rk_live_", "rk_test_"},
			pattern:  `\b[rs]k_(?:live|test)_[0-9A-Za-z]{20,}\b`,
			check:    func(d []byte, m []int) bool { return !placeholder(d[m[0]+8 : m[1]]) },
		},
		{
			id: "google-api-key", desc: "Google API key",
			keywords: []string{"aiza"},
			pattern:  `\bAIza[0-9A-Za-z_-]{35}(?:[^0-9A-Za-z_-]|$)`,
			check:    func(d []byte, m []int) bool { return !placeholder(d[m[0]+4 : m[0]+39]) },
		},
		{
			id: "azure-storage-key", desc: "Azure storage account key",
			keywords: []string{"accountkey="},
			pattern:  `AccountKey=[A-Za-z0-9+/]{86}==`,
			check:    func(d []byte, m []int) bool { return !placeholder(d[m[0]+11 : m[1]-2]) },
		},
		{
			id: "private-key", desc: "private key block",
			keywords: []string{"private key-----"},
			before:   60,
			pattern:  `-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----`,
			check:    keyMaterialFollows,
		},
		{
			id: "age-secret-key", desc: "age secret key",
			keywords: []string{"age-secret-key-"},
			pattern:  `AGE-SECRET-KEY-(?:PQ-)?1[02-9AC-HJ-NP-Z]{50,}`,
		},
		{
			id: "jwt", desc: "JSON Web Token",
			keywords: []string{"eyj"},
			pattern:  `\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}`,
			check:    jwtHeader,
		},
		{
			id: "url-password", desc: "password in a URL",
			keywords: []string{"://"},
			before:   32,
			near:     userinfoFollows,
			pattern:  `\b[A-Za-z][A-Za-z0-9+.-]{1,30}://[^\s:/?#@"'<>\\]*:([^\s/?#@"'<>\\]+)@[A-Za-z0-9._-]+`,
			check:    func(d []byte, m []int) bool { return !passwordPlaceholder(d[m[2]:m[3]]) },
		},
	}
}

func compileRules() []*rule {
	specs := ruleSpecs()
	rules := make([]*rule, len(specs))
	for i, s := range specs {
		rules[i] = &rule{ruleSpec: s, re: regexp.MustCompile(s.pattern)}
	}
	return rules
}

// window bounds a regular expression run around a keyword on a very long
// line (minified code), so the cost stays linear in the file size.
const window = 2048

// find calls report with the offset of each match of r in data. lower is
// data with ASCII letters lowered, where the keywords are looked for.
func (r *rule) find(data, lower []byte, report func(int)) {
	type hit struct{ at, n int }
	var hits []hit
	for _, kw := range r.keywords {
		k := []byte(kw)
		for from := 0; ; {
			i := bytes.Index(lower[from:], k)
			if i < 0 {
				break
			}
			hits = append(hits, hit{from + i, len(k)})
			from += i + len(k)
		}
	}
	if len(hits) == 0 {
		return
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].at < hits[j].at })
	lastStart, lastEnd := -1, -1
	for _, h := range hits {
		if h.at >= lastStart && h.at+h.n <= lastEnd {
			continue // inside the stretch just searched
		}
		if r.near != nil && !r.near(data, h.at+h.n) {
			continue
		}
		start, end := lineBounds(data, h.at)
		// One byte more than the match can need, so \b sees what is before.
		start = max(start, h.at-r.before-1)
		end = min(end, h.at+h.n+window)
		for _, m := range r.re.FindAllSubmatchIndex(data[start:end], -1) {
			for j := range m {
				if m[j] >= 0 {
					m[j] += start
				}
			}
			if r.check == nil || r.check(data, m) {
				report(m[0])
			}
		}
		lastStart, lastEnd = start, end
	}
}

// userinfoFollows reports whether the text after "://" has the user:pass@
// of a URL with a password, before the host part ends.
func userinfoFollows(data []byte, from int) bool {
	colon := false
	for _, c := range data[from:min(len(data), from+512)] {
		switch c {
		case ':':
			colon = true
		case '@':
			return colon
		case '/', '?', '#', ' ', '\t', '\n', '\r', '"', '\'', '<', '>', '\\':
			return false
		}
	}
	return false
}

// placeholder reports text that fills a credential's shape without being
// one: documentation examples (AWS's own end in EXAMPLE), runs of x, *, 0
// or one letter, "your_token_here".
func placeholder(b []byte) bool {
	l := asciiLower(b)
	for _, w := range []string{"example", "xxxx", "****", "your", "placeholder", "redacted", "dummy", "sample", "changeme"} {
		if bytes.Contains(l, []byte(w)) {
			return true
		}
	}
	distinct := map[byte]bool{}
	for _, c := range b {
		distinct[c] = true
	}
	return len(b) >= 12 && len(distinct) < 6
}

// randomLooking is for shapes with no fixed prefix (an AWS secret key is
// 40 base64 characters): besides not being a placeholder, it must mix
// upper case, lower case and digits as generated keys do.
func randomLooking(b []byte) bool {
	var upper, lower, digit bool
	for _, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= '0' && c <= '9':
			digit = true
		}
	}
	return upper && lower && digit && !placeholder(b)
}

// passwordPlaceholder reports the password of a URL that stands for one:
// ${DB_PASSWORD}, %s, <password>, $PASS, ***, or the word itself.
func passwordPlaceholder(b []byte) bool {
	if len(b) == 0 || bytes.IndexByte([]byte("$%{<[*"), b[0]) >= 0 {
		return true
	}
	switch string(asciiLower(b)) {
	case "password", "passwd", "pass", "pwd", "secret", "token", "changeme", "pw", "p", "x":
		return true
	}
	return placeholder(b)
}

// keyMaterialFollows keeps a BEGIN ... PRIVATE KEY line only when key
// material follows within a few lines (a base64 run of 40 or more, also
// after an escaped \n in JSON), so prose that names the marker is not a
// finding.
func keyMaterialFollows(d []byte, m []int) bool {
	rest := d[m[1]:min(len(d), m[1]+400)]
	run := 0
	for i, c := range rest {
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' {
			if run++; run >= 40 {
				return true
			}
			continue
		}
		if bytes.HasPrefix(rest[i:], []byte("-----")) {
			return false // the END marker, with no material before it
		}
		run = 0
	}
	return false
}

// jwtHeader keeps tokens whose first part decodes to a JSON header naming
// an algorithm.
func jwtHeader(d []byte, m []int) bool {
	part := d[m[0]:m[1]]
	part = part[:bytes.IndexByte(part, '.')]
	header, err := base64.RawURLEncoding.DecodeString(string(part))
	return err == nil && bytes.HasPrefix(bytes.TrimSpace(header), []byte("{")) && bytes.Contains(header, []byte(`"alg"`))
}
