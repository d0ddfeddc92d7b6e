// Package team reads and writes team.yaml: which people (public keys) may
// decrypt which environment. The file is human-edited and reviewed in git, so
// the order people wrote is kept and every error names a line.
package team

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/envsafe/envsafe/internal/crypt"
	"go.yaml.in/yaml/v3"
)

// Version is the team.yaml format this build reads and writes.
const Version = 1

// MaxSize bounds team.yaml; a real team file is a few kilobytes.
const MaxSize = 1 << 20

// ErrInvalid marks a team.yaml that cannot be used as written.
var ErrInvalid = errors.New("invalid team.yaml")

// Member is a person or machine and the public key files are encrypted to.
type Member struct {
	Name      string
	Recipient string
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
	// doc is the file as parsed, kept so that a rewrite keeps the comments
	// and list styles people wrote; nil for a team made in code.
	doc *yaml.Node
}

// validName checks a name against a first-character set and a rest set,
// up to 63 characters. (Hand-written rather than regexp: compiling patterns
// at start-up is measurable in `envsafe run`.)
func validName(name string, first, rest func(c byte) bool) bool {
	if len(name) == 0 || len(name) > 63 || !first(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if !rest(name[i]) {
			return false
		}
	}
	return true
}

func isLowerDigit(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') }

func isAlnum(c byte) bool { return isLowerDigit(c) || (c >= 'A' && c <= 'Z') }

// ValidateEnvName accepts names that are safe as file names on every OS:
// lower-case letters, digits, _ and -, starting with a letter or digit.
func ValidateEnvName(name string) error {
	if !validName(name, isLowerDigit, func(c byte) bool { return isLowerDigit(c) || c == '_' || c == '-' }) {
		return fmt.Errorf("invalid environment name %q: use lower-case letters, digits, _ and - (at most 63)", name)
	}
	return nil
}

// ValidateMemberName accepts short names such as alice, ci-prod or a.b@corp.
func ValidateMemberName(name string) error {
	if !validName(name, isAlnum, func(c byte) bool { return isAlnum(c) || c == '.' || c == '_' || c == '@' || c == '-' }) {
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
	Members      yaml.Node `yaml:"members"`
	Environments yaml.Node `yaml:"environments"`
	MaxAge       yaml.Node `yaml:"max_age"`
}

// Parse reads team.yaml and checks that it is consistent: known version,
// valid and unique names, parseable keys, environments that list only
// members, and a default that exists.
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
	if raw.Version != Version {
		return nil, fmt.Errorf("%w: version is %d, this envsafe reads version %d", ErrInvalid, raw.Version, Version)
	}
	t := &Team{Default: raw.Default, doc: &doc}
	if err := t.decodeMembers(&raw.Members); err != nil {
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

func (t *Team) decodeMembers(n *yaml.Node) error {
	if n.Kind == 0 {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return lineErr(n, "members must map names to public keys")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if err := ValidateMemberName(k.Value); err != nil {
			return lineErr(k, "%v", err)
		}
		if _, dup := t.Member(k.Value); dup {
			return lineErr(k, "member %q is listed twice", k.Value)
		}
		if v.Kind != yaml.ScalarNode {
			return lineErr(v, "member %q: the value must be one public key", k.Value)
		}
		r, err := crypt.ParseRecipient(v.Value)
		if err != nil {
			return lineErr(v, "member %q: %v", k.Value, err)
		}
		// One key under two names would survive `member rm` of either.
		if other, dup := t.MemberByRecipient(r.String()); dup {
			return lineErr(v, "member %q has the same key as member %q: one key, one member", k.Value, other)
		}
		t.Members = append(t.Members, Member{Name: k.Value, Recipient: r.String()})
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

// Marshal writes team.yaml in a stable layout: members and environments in
// their current order, member lists in flow style.
func (t *Team) Marshal() ([]byte, error) {
	str := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }
	members := &yaml.Node{Kind: yaml.MappingNode}
	for _, m := range t.Members {
		members.Content = append(members.Content, str(m.Name), str(m.Recipient))
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
		str("version"), {Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(Version)},
		str("default"), str(t.Default),
		str("members"), members,
		str("environments"), envs,
	}}
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
	c := &Team{Default: t.Default, Members: slices.Clone(t.Members), MaxAge: maps.Clone(t.MaxAge), doc: t.doc}
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

// RemoveMember drops a member and every mention of them.
func (t *Team) RemoveMember(name string) {
	t.Members = slices.DeleteFunc(t.Members, func(m Member) bool { return m.Name == name })
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
