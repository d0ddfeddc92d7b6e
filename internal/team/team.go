// Package team reads and writes team.yaml: which people (public keys) may
// decrypt which environment and, since version 2, who may sign (write) and
// who administers the roster. The file is human-edited and reviewed in git,
// so the order people wrote is kept and every error names a line. It is the
// readable view of the signed roster (package trust): conversions and a diff
// against it live here because only this package knows team.yaml's rules.
package team

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/trust"
	"go.yaml.in/yaml/v3"
)

// Version is the newest team.yaml format this build reads and writes.
// Version 2 added what signed rosters need (TRUST.md C.3): a member's value
// may be a mapping with a signing key and a read-only flag, and a top-level
// admins list.
const Version = 2

// MinVersion is the oldest team.yaml format this build reads. Marshal still
// writes it for a team that uses nothing of version 2, so that an envsafe
// from before signed rosters keeps reading the file until a project
// actually uses them.
const MinVersion = 1

// MaxSize bounds team.yaml; a real team file is a few kilobytes.
const MaxSize = 1 << 20

// ErrInvalid marks a team.yaml that cannot be used as written.
var ErrInvalid = errors.New("invalid team.yaml")

// Member is a person or machine and the public key files are encrypted to.
type Member struct {
	Name      string
	Recipient string
	// Sign is the member's public signing key text (envsafe-ed25519:... or
	// ssh-ed25519 ...), empty for a member who signs with their ssh-ed25519
	// recipient or never writes. It is kept apart from Recipient because age
	// does not authenticate writers: only a signature says who wrote a file.
	Sign string
	// ReadOnly marks a member who never writes, whatever keys they hold, so
	// that a leaked machine key (CI) costs confidentiality, not integrity.
	ReadOnly bool
}

// Environment is a named set of secrets and the members who may read it.
type Environment struct {
	Name    string
	Members []string
}

// Team is the parsed content of team.yaml.
type Team struct {
	Default      string
	Members      []Member
	Environments []Environment
	// MaxAge is the optional top-level max_age map: how long a secret of
	// an environment may go unchanged before `envsafe check` calls it
	// stale. Nil when team.yaml has none; environments not in it have no limit.
	MaxAge map[string]time.Duration
	// Admins names the members who sign roster changes, in file order. In
	// team.yaml it is a display and a proposal: the admin keys that count
	// are in team.sig's admin log (see DiffAdmins).
	Admins []string
	// doc is the file as parsed, kept so that a rewrite keeps the comments
	// and list styles people wrote; nil for a team made in code.
	doc *yaml.Node
}

// ValidateEnvName accepts names that are safe as file names on every OS:
// lower-case letters, digits, _ and -, starting with a letter or digit.
func ValidateEnvName(name string) error {
	if !trust.ValidEnvName(name) {
		return fmt.Errorf("invalid environment name %q: use lower-case letters, digits, _ and - (at most 63)", name)
	}
	return nil
}

// ValidateMemberName accepts short names such as alice, ci-prod or a.b@corp.
func ValidateMemberName(name string) error {
	if !trust.ValidMemberName(name) {
		return fmt.Errorf("invalid member name %q: use letters, digits, ., _, @ and - (at most 63)", name)
	}
	return nil
}

// Env returns the environment called name.
func (t *Team) Env(name string) (*Environment, bool) {
	for i := range t.Environments {
		if t.Environments[i].Name == name {
			return &t.Environments[i], true
		}
	}
	return nil, false
}

// EnvNames returns the environment names in file order.
func (t *Team) EnvNames() []string {
	names := make([]string, len(t.Environments))
	for i, e := range t.Environments {
		names[i] = e.Name
	}
	return names
}

// Member returns the member called name.
func (t *Team) Member(name string) (*Member, bool) {
	for i := range t.Members {
		if t.Members[i].Name == name {
			return &t.Members[i], true
		}
	}
	return nil, false
}

// MemberByRecipient finds who holds a public key.
func (t *Team) MemberByRecipient(recipient string) (string, bool) {
	for _, m := range t.Members {
		if m.Recipient == recipient {
			return m.Name, true
		}
	}
	return "", false
}

// Recipients returns the public keys an environment must be encrypted to.
func (t *Team) Recipients(env string) ([]crypt.Recipient, error) {
	e, ok := t.Env(env)
	if !ok {
		return nil, fmt.Errorf("no environment %q in team.yaml", env)
	}
	if len(e.Members) == 0 {
		return nil, fmt.Errorf("environment %q has no members in team.yaml", env)
	}
	rs := make([]crypt.Recipient, 0, len(e.Members))
	for _, name := range e.Members {
		m, ok := t.Member(name)
		if !ok {
			return nil, fmt.Errorf("environment %q lists unknown member %q", env, name)
		}
		r, err := crypt.ParseRecipient(m.Recipient)
		if err != nil {
			return nil, fmt.Errorf("member %q: %w", name, err)
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// CanRead reports whether the holder of recipient is listed for env.
func (t *Team) CanRead(env, recipient string) bool {
	e, ok := t.Env(env)
	if !ok {
		return false
	}
	name, ok := t.MemberByRecipient(recipient)
	return ok && slices.Contains(e.Members, name)
}

type rawTeam struct {
	Version      int       `yaml:"version"`
	Default      string    `yaml:"default"`
	Admins       yaml.Node `yaml:"admins"`
	Members      yaml.Node `yaml:"members"`
	Environments yaml.Node `yaml:"environments"`
	MaxAge       yaml.Node `yaml:"max_age"`
}

// Parse reads team.yaml and checks that it is consistent: known version,
// valid and unique names, parseable keys, signing keys unique (by key, not
// text), environments that list only members, admins that are members, and
// a default that exists. A version 1 file may use none of version 2's
// shapes, so the version line tells a reader which envsafe it needs.
func Parse(data []byte) (*Team, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalid, MaxSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		// A second document would be silently ignored, and a reviewer
		// reading the whole file would believe it counts.
		return nil, fmt.Errorf("%w: line %d: a second YAML document (after ---); team.yaml holds one", ErrInvalid, extra.Line)
	}
	// The fields, strictly (an unknown key is an error), from the text
	// again: yaml.Node.Decode has no strict mode.
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	var raw rawTeam
	if err := strict.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if raw.Version < MinVersion || raw.Version > Version {
		return nil, fmt.Errorf("%w: version is %d, this envsafe reads versions %d to %d", ErrInvalid, raw.Version, MinVersion, Version)
	}
	t := &Team{Default: raw.Default, doc: &doc}
	if err := t.decodeMembers(&raw.Members, raw.Version); err != nil {
		return nil, err
	}
	if err := t.decodeAdmins(&raw.Admins, raw.Version); err != nil {
		return nil, err
	}
	if err := t.decodeEnvironments(&raw.Environments); err != nil {
		return nil, err
	}
	if len(t.Environments) == 0 {
		return nil, fmt.Errorf("%w: no environments", ErrInvalid)
	}
	if err := t.decodeMaxAge(&raw.MaxAge); err != nil {
		return nil, err
	}
	if t.Default == "" {
		t.Default = t.Environments[0].Name
	}
	if _, ok := t.Env(t.Default); !ok {
		return nil, fmt.Errorf("%w: default environment %q is not listed under environments", ErrInvalid, t.Default)
	}
	return t, nil
}

func lineErr(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%w: line %d: %s", ErrInvalid, n.Line, fmt.Sprintf(format, args...))
}

func (t *Team) decodeMembers(n *yaml.Node, version int) error {
	if n.Kind == 0 {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return lineErr(n, "members must map names to public keys")
	}
	// signers maps each raw signing key to its member, so that one key in
	// its two texts (envsafe-ed25519 and ssh-ed25519) is one signer.
	signers := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if err := ValidateMemberName(k.Value); err != nil {
			return lineErr(k, "%v", err)
		}
		if _, dup := t.Member(k.Value); dup {
			return lineErr(k, "member %q is listed twice", k.Value)
		}
		m, recNode, signNode, err := decodeMember(k.Value, v, version)
		if err != nil {
			return err
		}
		r, err := crypt.ParseRecipient(m.Recipient)
		if err != nil {
			return lineErr(recNode, "member %q: %v", k.Value, err)
		}
		m.Recipient = r.String()
		// One key under two names would survive `member rm` of either.
		if other, dup := t.MemberByRecipient(m.Recipient); dup {
			return lineErr(recNode, "member %q has the same key as member %q: one key, one member", k.Value, other)
		}
		if m.Sign != "" {
			if m.Sign, err = normalizeSign(m.Sign); err != nil {
				return lineErr(signNode, "member %q: %v", k.Value, err)
			}
		}
		pub, err := signingKey(m)
		if err != nil {
			return lineErr(signNode, "member %q: %v", k.Value, err)
		}
		if pub != nil {
			// One signing key for two members would let either sign as
			// the other: a signature must name exactly one writer.
			if other, dup := signers[string(pub)]; dup {
				at := signNode
				if m.Sign == "" {
					at = recNode
				}
				return lineErr(at, "member %q has the same signing key as member %q: one key, one member", k.Value, other)
			}
			signers[string(pub)] = k.Value
		}
		t.Members = append(t.Members, m)
	}
	return nil
}

// decodeMember reads one member's value: a public key, or (version 2) a
// mapping {recipient, sign, read_only}. It returns the nodes of the
// recipient and the signing key so that later checks can name their lines.
func decodeMember(name string, v *yaml.Node, version int) (m Member, recNode, signNode *yaml.Node, err error) {
	m.Name = name
	switch v.Kind {
	case yaml.ScalarNode:
		m.Recipient = v.Value
		return m, v, v, nil
	case yaml.MappingNode:
	default:
		return m, nil, nil, lineErr(v, "member %q: the value must be one public key, or a mapping like {recipient: age1..., sign: envsafe-ed25519:...}", name)
	}
	if version < 2 {
		return m, nil, nil, lineErr(v, "member %q: a mapping with recipient, sign or read_only needs version: 2", name)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		fk, fv := v.Content[i], v.Content[i+1]
		if fk.Kind != yaml.ScalarNode {
			return m, nil, nil, lineErr(fk, "member %q: keys are recipient, sign and read_only", name)
		}
		if seen[fk.Value] {
			return m, nil, nil, lineErr(fk, "member %q lists %s twice", name, fk.Value)
		}
		seen[fk.Value] = true
		switch fk.Value {
		case "recipient", "sign":
			if fv.Kind != yaml.ScalarNode || fv.Value == "" {
				return m, nil, nil, lineErr(fv, "member %q: %s must be one public key", name, fk.Value)
			}
			if fk.Value == "recipient" {
				m.Recipient, recNode = fv.Value, fv
			} else {
				m.Sign, signNode = fv.Value, fv
			}
		case "read_only":
			// Only a real YAML boolean: "yes" is a string in YAML 1.2, and
			// guessing would decide who may write.
			if fv.Kind != yaml.ScalarNode || fv.ShortTag() != "!!bool" || fv.Decode(&m.ReadOnly) != nil {
				return m, nil, nil, lineErr(fv, "member %q: read_only must be true or false", name)
			}
		default:
			return m, nil, nil, lineErr(fk, "member %q: unknown field %q (want recipient, sign or read_only)", name, fk.Value)
		}
	}
	if recNode == nil {
		return m, nil, nil, lineErr(v, "member %q has no recipient", name)
	}
	if signNode == nil {
		signNode = v
	}
	return m, recNode, signNode, nil
}

// normalizeSign checks a signing key text and returns the form team.yaml
// records: an ssh-ed25519 key without its comment, which is not part of it.
func normalizeSign(s string) (string, error) {
	s = strings.TrimSpace(s)
	if _, err := trust.ParsePublicKey(s); err != nil {
		return "", err
	}
	if f := strings.Fields(s); strings.HasPrefix(s, sshEd25519+" ") && len(f) >= 2 {
		s = f[0] + " " + f[1]
	}
	return s, nil
}

// sshEd25519 starts the recipient text of a member who signs with their
// SSH key.
const sshEd25519 = "ssh-ed25519"

// signingKey returns the key m signs with, or nil if m has none: Sign, or
// else an ssh-ed25519 recipient's own key. As in the signed roster, an
// ssh-ed25519 member's Sign must be that same key, so a member never holds
// two signing identities.
func signingKey(m Member) ([]byte, error) {
	var ssh []byte
	if strings.HasPrefix(m.Recipient, sshEd25519+" ") {
		k, err := trust.ParsePublicKey(m.Recipient)
		if err != nil {
			return nil, err
		}
		ssh = k
	}
	if m.Sign == "" {
		return ssh, nil
	}
	k, err := trust.ParsePublicKey(m.Sign)
	if err != nil {
		return nil, err
	}
	if ssh != nil && !bytes.Equal(k, ssh) {
		return nil, errors.New("an ssh-ed25519 member signs with their SSH key: sign must be that key, or be left out")
	}
	return k, nil
}

// decodeAdmins reads the version 2 admins list; every admin must be a
// member, since an admin is someone whose signing key team.yaml shows.
func (t *Team) decodeAdmins(n *yaml.Node, version int) error {
	if n.Kind == 0 {
		return nil
	}
	if version < 2 {
		return lineErr(n, "admins needs version: 2")
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return lineErr(n, "admins must be a list of members like [alice]")
	}
	for _, a := range n.Content {
		if a.Kind != yaml.ScalarNode {
			return lineErr(a, "admins are member names")
		}
		if _, ok := t.Member(a.Value); !ok {
			return lineErr(a, "admins lists %q, who is not under members", a.Value)
		}
		if slices.Contains(t.Admins, a.Value) {
			return lineErr(a, "admins lists %q twice", a.Value)
		}
		t.Admins = append(t.Admins, a.Value)
	}
	return nil
}

func (t *Team) decodeEnvironments(n *yaml.Node) error {
	if n.Kind == 0 {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return lineErr(n, "environments must map names to lists of members")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if err := ValidateEnvName(k.Value); err != nil {
			return lineErr(k, "%v", err)
		}
		if _, dup := t.Env(k.Value); dup {
			return lineErr(k, "environment %q is listed twice", k.Value)
		}
		env := Environment{Name: k.Value, Members: []string{}}
		if v.Kind != yaml.SequenceNode && !(v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
			return lineErr(v, "environment %q: expected a list of members like [alice, bob]", k.Value)
		}
		for _, m := range v.Content {
			if m.Kind != yaml.ScalarNode {
				return lineErr(m, "environment %q: members are names", k.Value)
			}
			if _, ok := t.Member(m.Value); !ok {
				return lineErr(m, "environment %q lists %q, who is not under members", k.Value, m.Value)
			}
			if slices.Contains(env.Members, m.Value) {
				return lineErr(m, "environment %q lists %q twice", k.Value, m.Value)
			}
			env.Members = append(env.Members, m.Value)
		}
		t.Environments = append(t.Environments, env)
	}
	return nil
}

const header = `# envsafe team file: who may decrypt which environment.
# Public keys only. Review changes to it like code: adding a key here grants
# access once someone who can decrypt runs "envsafe sync".
`

// needsV2 reports whether t uses anything version 1 cannot say.
func (t *Team) needsV2() bool {
	return len(t.Admins) > 0 || slices.ContainsFunc(t.Members, func(m Member) bool { return m.Sign != "" || m.ReadOnly })
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

// memberNode is a member's value: the bare public key while that is all
// there is (the version 1 shape), else a one-line flow mapping.
func memberNode(m Member) *yaml.Node {
	if m.Sign == "" && !m.ReadOnly {
		return str(m.Recipient)
	}
	n := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Content: []*yaml.Node{str("recipient"), str(m.Recipient)}}
	if m.Sign != "" {
		n.Content = append(n.Content, str("sign"), str(m.Sign))
	}
	if m.ReadOnly {
		n.Content = append(n.Content, str("read_only"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	}
	return n
}

// Marshal writes team.yaml in a stable layout: members and environments in
// their current order, member lists in flow style. It writes version 1
// unless the team uses signing keys, read-only members or admins.
func (t *Team) Marshal() ([]byte, error) {
	version := MinVersion
	if t.needsV2() {
		version = Version
	}
	members := &yaml.Node{Kind: yaml.MappingNode}
	for _, m := range t.Members {
		members.Content = append(members.Content, str(m.Name), memberNode(m))
	}
	envs := &yaml.Node{Kind: yaml.MappingNode}
	for _, e := range t.Environments {
		list := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, m := range e.Members {
			list.Content = append(list.Content, str(m))
		}
		envs.Content = append(envs.Content, str(e.Name), list)
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		str("version"), {Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(version)},
		str("default"), str(t.Default),
	}}
	if len(t.Admins) > 0 {
		admins := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, a := range t.Admins {
			admins.Content = append(admins.Content, str(a))
		}
		root.Content = append(root.Content, str("admins"), admins)
	}
	root.Content = append(root.Content, str("members"), members, str("environments"), envs)
	if maxAge := t.marshalMaxAge(); maxAge != nil {
		root.Content = append(root.Content, str("max_age"), maxAge)
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
	var buf bytes.Buffer
	if t.doc != nil {
		keepComments(t.doc, doc)
	} else {
		buf.WriteString(header)
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("writing team.yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("writing team.yaml: %w", err)
	}
	// Check what we wrote reads back, so a bug here can never leave a
	// project with a team file it cannot load.
	if _, err := Parse(buf.Bytes()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Clone returns a deep copy, so a change can be checked before it is kept.
func (t *Team) Clone() *Team {
	c := &Team{Default: t.Default, Members: slices.Clone(t.Members), MaxAge: maps.Clone(t.MaxAge), Admins: slices.Clone(t.Admins), doc: t.doc}
	for _, e := range t.Environments {
		c.Environments = append(c.Environments, Environment{Name: e.Name, Members: slices.Clone(e.Members)})
	}
	return c
}

// EnvsOf lists the environments a member is listed for, in file order.
func (t *Team) EnvsOf(member string) []string {
	var envs []string
	for _, e := range t.Environments {
		if slices.Contains(e.Members, member) {
			envs = append(envs, e.Name)
		}
	}
	return envs
}

// RemoveMember drops a member and every mention of them, admins included.
func (t *Team) RemoveMember(name string) {
	t.Members = slices.DeleteFunc(t.Members, func(m Member) bool { return m.Name == name })
	t.Admins = slices.DeleteFunc(t.Admins, func(a string) bool { return a == name })
	for i := range t.Environments {
		t.Environments[i].Members = slices.DeleteFunc(t.Environments[i].Members, func(m string) bool { return m == name })
	}
}

// ParseRecipient checks a member's public key and returns it in the form
// team.yaml records, so a bad key is refused before anything is written.
func ParseRecipient(s string) (string, error) {
	r, err := crypt.ParseRecipient(s)
	if err != nil {
		return "", err
	}
	return r.String(), nil
}

// NameOf names a public key for messages: the member the first of teams
// that knows it calls it (nil teams are skipped), else the key shortened.
// Every "who gains, who loses" message names keys this one way.
func NameOf(key string, teams ...*Team) string {
	for _, t := range teams {
		if t == nil {
			continue
		}
		if n, ok := t.MemberByRecipient(key); ok {
			return n
		}
	}
	return crypt.Short(key)
}
