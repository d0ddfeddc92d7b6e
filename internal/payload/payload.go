// Package payload is the plaintext inside an environment file: canonical JSON
// that binds the secrets to their environment and records the recipients the
// file was encrypted to. It knows nothing about encryption or disk.
package payload

import (
	"errors"
	"fmt"
	"github.com/envsafe/envsafe/internal/trust"
	"iter"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Version is the newest payload format this build reads and writes: 2,
// signed. Unsigned payloads are written as VersionUnsigned, so a project
// that does not sign stays readable by older envsafe.
const Version = 2

// VersionUnsigned is the format of a payload without a signature.
const VersionUnsigned = 1

// MaxValueSize bounds one value. Linux refuses a single environment variable
// over 128 KiB, but values may also be exported to files, so allow more.
const MaxValueSize = 1 << 20

// ErrMalformed reports a payload that is not what envsafe writes. The message
// never quotes the payload: it is full of secrets.
var ErrMalformed = errors.New("malformed payload")

// ErrNewer means the payload is from a newer format than this build reads:
// a field it does not know, or a higher version number.
var ErrNewer = errors.New("payload format newer than this envsafe reads")

// ErrWrongEnvironment reports a payload that belongs to another environment,
// for example production.age copied over development.age.
var ErrWrongEnvironment = errors.New("file belongs to another environment")

// Secret is one stored value and when it last changed.
type Secret struct {
	Value   string    `json:"value"`
	Updated time.Time `json:"updated"`
}

// Payload is the decrypted content of one environment file.
type Payload struct {
	Version     int               `json:"envsafe"`
	Environment string            `json:"environment"`
	Recipients  []string          `json:"recipients"`
	Secrets     map[string]Secret `json:"secrets"`
	// Conflicts holds secrets a git merge could not decide, with every
	// side's value, until the user sets or removes each of them.
	Conflicts map[string]Conflict `json:"conflicts,omitempty"`
	// Rotate marks secrets to rotate, with why ("bob removed 2026-12-01"):
	// someone who lost access could read their value. A new value clears
	// the mark; `check` fails while one is left.
	Rotate map[string]string `json:"rotate,omitempty"`
	// Sig is the writer's signature in a signed project (format version
	// 2); nil in an unsigned one (version 1), which older envsafe reads.
	Sig *trust.Sig `json:"sig,omitempty"`
}

// Conflict is one secret changed differently on two branches. A nil side
// means the secret did not exist there (or was removed).
type Conflict struct {
	Base   *string `json:"base"`
	Ours   *string `json:"ours"`
	Theirs *string `json:"theirs"`
}

// New returns an empty payload for env.
func New(env string) *Payload {
	return &Payload{Version: VersionUnsigned, Environment: env, Recipients: []string{}, Secrets: map[string]Secret{}}
}

// Encode returns the canonical JSON: keys sorted, recipients sorted and
// unique, times in UTC to the second, no HTML escaping. Equal payloads give
// equal bytes, which is how the store avoids rewriting unchanged files.
func (p *Payload) Encode() ([]byte, error) {
	for name, s := range p.Secrets {
		if err := ValidateName(name); err != nil {
			return nil, err
		}
		if err := ValidateValue(name, s.Value); err != nil {
			return nil, err
		}
	}
	for name, cf := range p.Conflicts {
		if err := validateConflict(name, cf); err != nil {
			return nil, err
		}
	}
	for name, why := range p.Rotate {
		if err := validateMark(name, why); err != nil {
			return nil, err
		}
	}
	p.Version = versionOf(p)
	return p.encode(sortedUnique(p.Recipients))
}

// Decode parses data and checks it belongs to env. Every failure wraps
// ErrMalformed or ErrWrongEnvironment and names no value.
func Decode(data []byte, env string) (*Payload, error) {
	p, err := parse(data)
	if err != nil {
		return nil, parseError(err)
	}
	if err := check(p, env); err != nil {
		return nil, err
	}
	return p, nil
}

// parseError says only what kind of problem the document has: its bytes
// are secrets.
func parseError(err error) error {
	if errors.Is(err, errUnknownField) {
		return fmt.Errorf("%w: it has a field this version does not know", ErrNewer)
	}
	return fmt.Errorf("%w: not the JSON envsafe writes", ErrMalformed)
}

// check applies the rules a payload must meet beyond JSON syntax.
func check(p *Payload, env string) error {
	if p.Version > Version {
		return fmt.Errorf("%w: format version %d, this envsafe reads %d", ErrNewer, p.Version, Version)
	}
	if p.Version != versionOf(p) {
		return fmt.Errorf("%w: format version %d does not match its signature block", ErrMalformed, p.Version)
	}
	if p.Environment != env {
		return fmt.Errorf("%w: it is for %q, not %q", ErrWrongEnvironment, p.Environment, env)
	}
	if p.Secrets == nil {
		p.Secrets = map[string]Secret{}
	}
	if p.Recipients == nil {
		p.Recipients = []string{}
	}
	if len(p.Conflicts) == 0 {
		p.Conflicts = nil
	}
	if len(p.Rotate) == 0 {
		p.Rotate = nil
	}
	for name, why := range p.Rotate {
		if err := validateMark(name, why); err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
	}
	for name, s := range p.Secrets {
		if err := ValidateName(name); err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if err := ValidateValue(name, s.Value); err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
	}
	for name, cf := range p.Conflicts {
		if err := validateConflict(name, cf); err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
	}
	return nil
}

// MaxMarkLen bounds the reason of a rotate mark.
const MaxMarkLen = 200

// validateMark accepts a rotate mark for a valid name whose reason is short
// printable text: it is shown in listings, and may come from a file
// someone else wrote.
func validateMark(name, why string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if len(why) > MaxMarkLen || !utf8.ValidString(why) || strings.ContainsFunc(why, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("the rotate mark of %s is not short printable text", name)
	}
	return nil
}

// MarkToRotate marks names that exist as to be rotated, for why; a name
// already marked keeps its first reason. It returns the names it marked.
func (p *Payload) MarkToRotate(names []string, why string) []string {
	var marked []string
	for _, name := range names {
		if _, ok := p.Secrets[name]; !ok {
			continue
		}
		if _, already := p.Rotate[name]; already {
			continue
		}
		if p.Rotate == nil {
			p.Rotate = map[string]string{}
		}
		p.Rotate[name] = why
		marked = append(marked, name)
	}
	return marked
}

// ToRotate returns the marked names, sorted.
func (p *Payload) ToRotate() []string {
	names := make([]string, 0, len(p.Rotate))
	for name := range p.Rotate {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Unmark clears names' rotate marks without a new value, for a secret that
// was rotated where it is issued and whose stored value is the new one.
func (p *Payload) Unmark(names ...string) {
	for _, name := range names {
		delete(p.Rotate, name)
	}
	if len(p.Rotate) == 0 {
		p.Rotate = nil
	}
}

func validateConflict(name string, c Conflict) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	for _, v := range []*string{c.Base, c.Ours, c.Theirs} {
		if v != nil {
			if err := ValidateValue(name, *v); err != nil {
				return err
			}
		}
	}
	return nil
}

// Len is the number of secrets.
func (p *Payload) Len() int { return len(p.Secrets) }

// Lookup returns a secret's value.
func (p *Payload) Lookup(name string) (string, bool) {
	s, ok := p.Secrets[name]
	return s.Value, ok
}

// All yields every secret's name and value, in no particular order.
func (p *Payload) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for name, s := range p.Secrets {
			if !yield(name, s.Value) {
				return
			}
		}
	}
}

// Names returns the secret names in sorted order.
func (p *Payload) Names() []string {
	names := make([]string, 0, len(p.Secrets))
	for name := range p.Secrets {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Set stores value under name and reports whether anything changed; the
// update time moves only when the value does. Setting a secret resolves its
// merge conflict.
func (p *Payload) Set(name, value string, now time.Time) bool {
	_, conflicted := p.Conflicts[name]
	delete(p.Conflicts, name)
	if old, ok := p.Secrets[name]; ok && old.Value == value {
		return conflicted
	}
	p.Secrets[name] = Secret{Value: value, Updated: now.UTC().Truncate(time.Second)}
	p.Unmark(name)
	return true
}

// Delete removes a secret, resolving its merge conflict if it had one.
func (p *Payload) Delete(name string) {
	delete(p.Secrets, name)
	delete(p.Conflicts, name)
	p.Unmark(name)
}

// ConflictNames lists the secrets a merge left undecided, sorted.
func (p *Payload) ConflictNames() []string {
	names := make([]string, 0, len(p.Conflicts))
	for name := range p.Conflicts {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// MaxNameLen bounds a secret name: a name is a label, and one of a
// megabyte would make every `run` fail at the kernel's limit.
const MaxNameLen = 256

// versionOf is the format a payload is written in: signed or not.
func versionOf(p *Payload) int {
	if p.Sig != nil {
		return Version
	}
	return VersionUnsigned
}

// SigningBody is the canonical encoding with the signature itself blank:
// what a writer signs and a reader verifies. It encodes what was parsed,
// so a duplicate key or a reordering cannot pass a value the signature
// does not cover.
func (p *Payload) SigningBody() ([]byte, error) {
	if p.Sig == nil {
		return nil, errors.New("payload has no signature block")
	}
	sig := *p.Sig
	sig.Sig = ""
	blank := *p
	blank.Sig = &sig
	return blank.Encode()
}

// ValidateName accepts the names npm dotenv accepts, [A-Za-z0-9_.-]+ up to
// MaxNameLen bytes: `app.name`, `MY-KEY` and `1ST` included. The kernel hands
// any name without '=' or NUL to a program, and programs read such names
// (Spring's spring.datasource.url, .NET's ConnectionStrings--Default), so
// refusing them here would change what an imported application receives.
// Only a POSIX shell cannot assign them; the shell export refuses them there.
// __proto__ is a valid name too: only npm dotenv drops it, and the dotenv
// package refuses it where that matters.
func ValidateName(name string) error {
	if name == "" {
		return errors.New("empty secret name")
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("secret name %q... is %d bytes long; names are at most %d", printable(name[:32]), len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || c == '.' || c == '-' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			return fmt.Errorf("invalid secret name %q: use ASCII letters, digits, '_', '.' and '-'", printable(name))
		}
	}
	return nil
}

// ValidateValue accepts UTF-8 text without NUL up to MaxValueSize: what an
// environment variable can carry. The error names the secret, not the value.
func ValidateValue(name, value string) error {
	switch {
	case len(value) > MaxValueSize:
		return fmt.Errorf("value of %s is %d bytes; the limit is %d", name, len(value), MaxValueSize)
	case !utf8.ValidString(value):
		return fmt.Errorf("value of %s is not UTF-8 text", name)
	case strings.IndexByte(value, 0) >= 0:
		return fmt.Errorf("value of %s contains a NUL byte, which no environment variable can hold", name)
	}
	return nil
}

// SameRecipients reports whether two recipient lists name the same set.
func SameRecipients(a, b []string) bool {
	return slices.Equal(sortedUnique(a), sortedUnique(b))
}

func sortedUnique(in []string) []string {
	out := slices.Clone(in)
	if out == nil {
		out = []string{}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// printable keeps a rejected name readable in an error without letting
// control characters reach the terminal.
func printable(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}

// DecodeAnyEnvironment parses a payload for whichever environment it names.
// It is for showing a file (git diff), never for using its secrets, where
// the binding to the expected environment matters.
func DecodeAnyEnvironment(data []byte) (*Payload, error) {
	p, err := parse(data)
	if err != nil {
		return nil, parseError(err)
	}
	if err := check(p, p.Environment); err != nil {
		return nil, err
	}
	return p, nil
}

// Stale says whether a secret last changed at updated is older than maxAge
// at now (maxAge 0: no limit), what team.yaml's max_age asks to rotate.
func Stale(updated time.Time, maxAge time.Duration, now time.Time) bool {
	return maxAge > 0 && now.Sub(updated) > maxAge
}

// StaleNames lists, sorted, the secrets older than maxAge at now.
func (p *Payload) StaleNames(maxAge time.Duration, now time.Time) []string {
	var out []string
	for _, name := range p.Names() {
		if Stale(p.Secrets[name].Updated, maxAge, now) {
			out = append(out, name)
		}
	}
	return out
}
