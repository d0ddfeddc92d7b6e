package migrate

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/dotenv"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/payload"
)

// sopsPipeHint is the way out for every sops file this package cannot
// read itself: sops adds the user's age key where the file's keys are
// available, and envsafe then reads the file. (A pipe of `sops -d` into
// `envsafe import -` would reread sops's raw dotenv output by npm's rules,
// cutting values at '#'.)
const sopsPipeHint = "where the file's keys are available, add your age key to it: `sops rotate --in-place --add-age \"$(envsafe identity show)\" FILE`, then `envsafe import FILE` (nothing decrypted on disk)"

// macOnlyEncryptedInit starts the MAC of files made with
// mac_only_encrypted, so that such a MAC never equals one over all values:
// sops's constant, the SHA-256 of "sops".
var macOnlyEncryptedInit = []byte{0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0xb,
	0xb, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69}

// sopsMeta is the part of a file's `sops` metadata this package uses.
type sopsMeta struct {
	Age []struct {
		Recipient string `yaml:"recipient" json:"recipient"`
		Enc       string `yaml:"enc" json:"enc"`
	} `yaml:"age" json:"age"`
	LastModified            string `yaml:"lastmodified" json:"lastmodified"`
	MAC                     string `yaml:"mac" json:"mac"`
	UnencryptedSuffix       string `yaml:"unencrypted_suffix" json:"unencrypted_suffix"`
	EncryptedSuffix         string `yaml:"encrypted_suffix" json:"encrypted_suffix"`
	UnencryptedRegex        string `yaml:"unencrypted_regex" json:"unencrypted_regex"`
	EncryptedRegex          string `yaml:"encrypted_regex" json:"encrypted_regex"`
	UnencryptedCommentRegex string `yaml:"unencrypted_comment_regex" json:"unencrypted_comment_regex"`
	EncryptedCommentRegex   string `yaml:"encrypted_comment_regex" json:"encrypted_comment_regex"`
	MACOnlyEncrypted        bool   `yaml:"mac_only_encrypted" json:"mac_only_encrypted"`
	// KeyGroups (Shamir secret sharing) is not read; only its presence.
	KeyGroups []any `yaml:"key_groups" json:"key_groups"`
	// Other master keys: only which kinds are there, for the message.
	KMS     []any `yaml:"kms" json:"kms"`
	GCPKMS  []any `yaml:"gcp_kms" json:"gcp_kms"`
	HCKMS   []any `yaml:"hckms" json:"hckms"`
	AzureKV []any `yaml:"azure_kv" json:"azure_kv"`
	Vault   []any `yaml:"hc_vault" json:"hc_vault"`
	PGP     []any `yaml:"pgp" json:"pgp"`
}

// otherKeys names the kinds of non-age master keys the file has.
func (m *sopsMeta) otherKeys() []string {
	var kinds []string
	for _, k := range []struct {
		name string
		n    int
	}{{"AWS KMS", len(m.KMS)}, {"GCP KMS", len(m.GCPKMS)}, {"HuaweiCloud KMS", len(m.HCKMS)}, {"Azure Key Vault", len(m.AzureKV)},
		{"HashiCorp Vault", len(m.Vault)}, {"PGP", len(m.PGP)}} {
		if k.n > 0 {
			kinds = append(kinds, k.name)
		}
	}
	return kinds
}

// leaf is one value of a sops tree, in file order. Values in a list share
// their list's path, as in sops (it is also their additional data).
type leaf struct {
	path   []string
	value  any // string, int, float64, bool, time.Time or nil, as sops reads them
	line   int
	inList bool
}

// ReadSops decrypts a sops file (dotenv, YAML or JSON) with the age
// identity id, entirely in memory: it unwraps the data key from the age
// stanza addressed to id, decrypts every value (AES-256-GCM, the value's
// key path as additional data), and checks sops's MAC over all of them
// before returning anything. Nested YAML and JSON keys are flattened by
// FlattenRule. name labels the file in messages.
func ReadSops(name string, data []byte, id *crypt.Identity) (*Result, error) {
	format, leaves, meta, err := parseSops(name, data)
	if err != nil {
		return nil, err
	}
	if len(meta.KeyGroups) > 0 {
		return nil, hint.With(fmt.Errorf("%s: sops key groups (Shamir secret sharing) are not read by envsafe", name), sopsPipeHint)
	}
	if meta.UnencryptedCommentRegex != "" || meta.EncryptedCommentRegex != "" {
		return nil, hint.With(fmt.Errorf("%s: sops comment rules (unencrypted_comment_regex, encrypted_comment_regex) are not read by envsafe", name), sopsPipeHint)
	}
	key, err := sopsDataKey(name, meta, id)
	if err != nil {
		return nil, err
	}
	rules, err := meta.rules(name)
	if err != nil {
		return nil, err
	}
	mac := sha512.New()
	if meta.MACOnlyEncrypted {
		mac.Write(macOnlyEncryptedInit)
	}
	values := make([]any, len(leaves))
	for i, l := range leaves {
		if l.value == nil {
			continue
		}
		encrypted := rules.encrypted(l.path)
		v := l.value
		if encrypted {
			s, ok := v.(string)
			if !ok {
				return nil, integrityf(name, "%s is not encrypted, though sops encrypts it", displayPath(l.path))
			}
			if v, err = decryptValue(s, key, strings.Join(l.path, ":")+":"); err != nil {
				return nil, integrityf(name, "%s: %v", displayPath(l.path), err)
			}
		}
		if !meta.MACOnlyEncrypted || encrypted {
			mac.Write([]byte(macBytes(v)))
		}
		values[i] = v
	}
	if meta.MAC == "" || meta.LastModified == "" {
		return nil, integrityf(name, "its sops metadata has no MAC")
	}
	modified, err := time.Parse(time.RFC3339, meta.LastModified)
	if err != nil {
		return nil, integrityf(name, "its sops lastmodified is not a time")
	}
	stored, err := decryptValue(meta.MAC, key, modified.Format(time.RFC3339))
	if err != nil {
		return nil, integrityf(name, "its MAC does not decrypt: %v", err)
	}
	if s, ok := stored.(string); !ok || s != fmt.Sprintf("%X", mac.Sum(nil)) {
		return nil, integrityf(name, "MAC mismatch: a value, a key or the order of keys changed since sops wrote it")
	}
	pairs, err := flatten(name, leaves, values, format == "dotenv")
	if err != nil {
		return nil, err
	}
	res := &Result{Pairs: pairs, Source: "sops (" + format + ", age)", Unchecked: meta.MACOnlyEncrypted}
	for i, l := range leaves { // flatten made one pair per leaf, in order
		if !rules.encrypted(l.path) {
			res.Clear = append(res.Clear, pairs[i].Name)
		}
	}
	return res, nil
}

func integrityf(name, format string, args ...any) error {
	return hint.With(fmt.Errorf("%s %w: "+format, append([]any{name, ErrIntegrity}, args...)...),
		"restore the file from git (`git checkout -- FILE`) or ask whoever changed it; nothing was imported")
}

// sopsDataKey unwraps the file's data key with the first age stanza the
// identity opens.
func sopsDataKey(name string, meta *sopsMeta, id *crypt.Identity) ([]byte, error) {
	if len(meta.Age) == 0 {
		kinds := meta.otherKeys()
		if len(kinds) == 0 {
			kinds = []string{"no master key at all"}
		}
		return nil, hint.With(fmt.Errorf("%s is encrypted by sops with %s, not to an age key: %w", name, strings.Join(kinds, ", "), ErrNoKey),
			sopsPipeHint)
	}
	var recipients []string
	for _, a := range meta.Age {
		key, err := crypt.Decrypt([]byte(a.Enc), id)
		if errors.Is(err, crypt.ErrNoMatch) {
			recipients = append(recipients, crypt.Short(a.Recipient))
			continue
		}
		if err != nil {
			return nil, integrityf(name, "the age-wrapped data key for %s: %v", crypt.Short(a.Recipient), err)
		}
		if len(key) != 32 {
			return nil, integrityf(name, "the data key for %s is %d bytes, not 32", crypt.Short(a.Recipient), len(key))
		}
		return key, nil
	}
	advice := "add your key (`envsafe identity show`) to the file's recipients and have a current recipient run `sops updatekeys FILE`, or " + sopsPipeHint
	if others := meta.otherKeys(); len(others) > 0 {
		advice = "it is also encrypted with " + strings.Join(others, ", ") + ": " + sopsPipeHint
	}
	return nil, hint.With(fmt.Errorf("%s is encrypted by sops to %s, not to your key %s: %w", name, strings.Join(recipients, ", "), crypt.Short(id.Public()), ErrNoKey), advice)
}

// sopsRules says which values sops encrypted, from the file's metadata.
type sopsRules struct {
	unencSuffix, encSuffix string
	unencRe, encRe         *regexp.Regexp
}

func (m *sopsMeta) rules(name string) (*sopsRules, error) {
	r := &sopsRules{unencSuffix: m.UnencryptedSuffix, encSuffix: m.EncryptedSuffix}
	var err error
	if m.UnencryptedRegex != "" {
		if r.unencRe, err = regexp.Compile(m.UnencryptedRegex); err != nil {
			return nil, fmt.Errorf("%s: its sops unencrypted_regex does not compile", name)
		}
	}
	if m.EncryptedRegex != "" {
		if r.encRe, err = regexp.Compile(m.EncryptedRegex); err != nil {
			return nil, fmt.Errorf("%s: its sops encrypted_regex does not compile", name)
		}
	}
	return r, nil
}

// encrypted follows sops's shouldBeEncrypted, in its order: each rule
// looks at every key on the path, and a later rule overrides an earlier.
func (r *sopsRules) encrypted(path []string) bool {
	any := func(match func(string) bool) bool {
		for _, p := range path {
			if match(p) {
				return true
			}
		}
		return false
	}
	enc := true
	if r.unencSuffix != "" && any(func(p string) bool { return strings.HasSuffix(p, r.unencSuffix) }) {
		enc = false
	}
	if r.encSuffix != "" {
		enc = any(func(p string) bool { return strings.HasSuffix(p, r.encSuffix) })
	}
	if r.unencRe != nil && any(func(p string) bool { return r.unencRe.MatchString(p) }) {
		enc = false
	}
	if r.encRe != nil {
		enc = any(func(p string) bool { return r.encRe.MatchString(p) })
	}
	return enc
}

// decryptValue opens one ENC[AES256_GCM,...] value and returns it typed as
// sops types it. An empty string is sops's unencrypted empty value.
func decryptValue(s string, key []byte, additionalData string) (any, error) {
	if s == "" {
		return "", nil
	}
	m := compiled().sopsValue.FindStringSubmatch(s)
	if m == nil {
		return nil, errors.New("not a sops-encrypted value")
	}
	var parts [3][]byte
	for i := range parts {
		b, err := base64.StdEncoding.DecodeString(m[i+1])
		if err != nil {
			return nil, errors.New("its encrypted value is not base64")
		}
		parts[i] = b
	}
	data, iv, tag := parts[0], parts[1], parts[2]
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if len(iv) == 0 || len(tag) != 16 {
		return nil, errors.New("its encrypted value has a bad nonce or tag")
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, len(iv))
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, iv, append(data, tag...), []byte(additionalData))
	if err != nil {
		return nil, errors.New("it does not decrypt (changed, or moved under another key)")
	}
	text := string(plain)
	bad := fmt.Errorf("its decrypted %s value does not parse", m[4])
	switch m[4] {
	case "str", "bytes":
		return text, nil
	case "int":
		n, err := strconv.Atoi(text)
		if err != nil {
			return nil, bad
		}
		return n, nil
	case "float":
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, bad
		}
		return f, nil
	case "bool":
		b, err := strconv.ParseBool(text)
		if err != nil {
			return nil, bad
		}
		return b, nil
	case "time":
		var t time.Time
		if t.UnmarshalText(plain) != nil {
			return nil, bad
		}
		return t, nil
	case "comment":
		return nil, errors.New("an encrypted comment where a value belongs")
	}
	return nil, fmt.Errorf("unknown sops value type %q", m[4])
}

// macBytes is a value as sops hashes it into the MAC (sops.ToBytes).
func macBytes(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		if v {
			return "True"
		}
		return "False"
	case time.Time:
		b, _ := v.MarshalText()
		return string(b)
	}
	return ""
}

// envValue is a value as `sops exec-env` hands it to a program
// (stores.ValToString), so that a migrated program sees what it saw.
func envValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		s := strconv.FormatFloat(v, 'G', -1, 64)
		if !strings.ContainsAny(s, ".E") {
			s = strconv.FormatFloat(v, 'f', 1, 64)
		}
		return s
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return v.Format(time.RFC3339)
	case int:
		return strconv.Itoa(v)
	}
	return fmt.Sprint(v)
}

// FlattenRule is how ReadSops names the values of nested YAML and JSON
// files, for the help and the README.
const FlattenRule = "nested keys are joined with '_', case kept: database: {password: x} becomes database_password"

// displayPath writes a key path as sops's --extract does: ["a"]["b"].
func displayPath(path []string) string {
	var b strings.Builder
	for _, p := range path {
		b.WriteString("[" + strconv.Quote(p) + "]")
	}
	return b.String()
}

// flatten names each value by FlattenRule and refuses what has no
// environment-variable form: lists, nulls, names envsafe cannot store, and
// two paths that flatten to one name.
func flatten(name string, leaves []leaf, values []any, isDotenv bool) ([]dotenv.Pair, error) {
	var pairs []dotenv.Pair
	from := map[string]string{}
	for i, l := range leaves {
		where := displayPath(l.path)
		switch {
		case l.inList:
			return nil, hint.With(fmt.Errorf("%s: %s is a list, which has no environment-variable form; nothing imported", name, where),
				"make it one string in the file (`sops edit FILE`), or leave it out: `sops -d --extract '"+where+"' FILE` shows it")
		case l.value == nil:
			return nil, hint.With(fmt.Errorf("%s: %s is null, not a value; nothing imported", name, where),
				"give it a value or remove it with `sops edit FILE`, then import again")
		}
		n := strings.Join(l.path, "_")
		if err := payload.ValidateName(n); err != nil {
			return nil, hint.With(fmt.Errorf("%s: %s: %w", name, where, err), "rename the key with `sops edit FILE`, then import again")
		}
		if prev, dup := from[n]; dup {
			return nil, hint.With(fmt.Errorf("%s: %s and %s both become %s (%s); nothing imported", name, prev, where, n, FlattenRule),
				"rename one of them with `sops edit FILE`, then import again")
		}
		from[n] = where
		v := envValue(values[i])
		if err := payload.ValidateValue(n, v); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		p := dotenv.Pair{Name: n, Value: v, Line: l.line}
		if isDotenv {
			p.Note = dotenvReadsDifferently(n, v)
		}
		pairs = append(pairs, p)
	}
	return pairs, nil
}

// dotenvReadsDifferently warns about a sops dotenv value that npm dotenv
// would read differently from `sops -d` output: sops keeps everything
// after '=' (quotes, '#', spaces), which is what `sops exec-env` passes
// on, and envsafe stores that.
func dotenvReadsDifferently(name, value string) string {
	if strings.ContainsAny(value, "\r\n") {
		return ""
	}
	pairs, err := dotenv.Parse("sops", []byte(name+"="+value))
	if err == nil && len(pairs) == 1 && pairs[0].Value == value {
		return ""
	}
	return "sops keeps this value exactly as written after '=' (quotes, '#' and spaces included), which `sops exec-env` passes on and envsafe stores; " +
		"npm dotenv would read `sops -d` output of it differently: if your program read it that way, correct it with `envsafe set " + name + "`"
}

// parseSops reads a sops file's values in order and its metadata, in the
// format its content shows.
func parseSops(name string, data []byte) (string, []leaf, *sopsMeta, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	switch {
	case compiled().sopsDotenvMeta.Match(data):
		leaves, meta, err := parseSopsDotenv(name, data)
		return "dotenv", leaves, meta, err
	case len(trimmed) > 0 && trimmed[0] == '{':
		leaves, meta, err := parseSopsJSON(name, data)
		return "JSON", leaves, meta, err
	default:
		leaves, meta, err := parseSopsYAML(name, data)
		return "YAML", leaves, meta, err
	}
}
