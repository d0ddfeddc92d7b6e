package team

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// Day and Week are the units team.yaml's max_age is usually written in.
const (
	Day  = 24 * time.Hour
	Week = 7 * Day
)

// maxDuration bounds a max_age: a hundred years, far from overflowing.
const maxDuration = 36500 * Day

// ParseDuration reads a max_age such as 90d, 12w or 36h: a whole number
// followed by one unit, h (hours), d (days) or w (weeks). It must be
// positive: an environment without a limit is simply not listed.
func ParseDuration(s string) (time.Duration, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("%q is not a duration: write a whole number and a unit, like 90d, 12w or 36h", s)
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 'h':
		unit = time.Hour
	case 'd':
		unit = Day
	case 'w':
		unit = Week
	default:
		return 0, fmt.Errorf("%q is not a duration: the unit must be h, d or w (like 90d)", s)
	}
	digits := s[:len(s)-1]
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, fmt.Errorf("%q is not a duration: write a whole number and a unit, like 90d, 12w or 36h", s)
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > int64(maxDuration/unit) {
		return 0, fmt.Errorf("%q is too long: at most 36500d", s)
	}
	if n == 0 {
		return 0, fmt.Errorf("%q must be longer than zero", s)
	}
	return time.Duration(n) * unit, nil
}

// FormatDuration writes d the way ParseDuration reads it: in days when it
// is whole days, else in hours (rounded up).
func FormatDuration(d time.Duration) string {
	if d%Day == 0 {
		return strconv.FormatInt(int64(d/Day), 10) + "d"
	}
	return strconv.FormatInt(int64((d+time.Hour-1)/time.Hour), 10) + "h"
}

// MaxAgeOf returns env's max_age, or 0 when it has none.
func (t *Team) MaxAgeOf(env string) time.Duration {
	return t.MaxAge[env]
}

// decodeMaxAge reads the optional top-level map
//
//	max_age:
//	  production: 90d
//
// A key may name an environment the project does not have (yet): the
// README's example names staging, and a project without one must still
// work. Such entries are kept as written and listed by Unlisted.
func (t *Team) decodeMaxAge(n *yaml.Node) error {
	if n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return lineErr(n, "max_age must map environment names to durations, like `production: 90d`")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, dup := t.MaxAge[k.Value]; dup {
			return lineErr(k, "max_age lists %q twice", k.Value)
		}
		if v.Kind != yaml.ScalarNode {
			return lineErr(v, "max_age of %q must be a duration like 90d", k.Value)
		}
		d, err := ParseDuration(v.Value)
		if err != nil {
			return lineErr(v, "max_age of %q: %v", k.Value, err)
		}
		if t.MaxAge == nil {
			t.MaxAge = map[string]time.Duration{}
		}
		t.MaxAge[k.Value] = d
	}
	return nil
}

// UnlistedMaxAge returns, sorted, the names max_age gives a limit that are
// not environments of the project, for `check` to point out.
func (t *Team) UnlistedMaxAge() []string {
	var names []string
	for name := range t.MaxAge {
		if _, ok := t.Env(name); !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// marshalMaxAge writes max_age in environment order, then the entries for
// names that are not environments, sorted; nil when there is none.
// `env rm` deletes the removed environment's entry itself.
func (t *Team) marshalMaxAge() *yaml.Node {
	var m *yaml.Node
	add := func(name string) {
		d, ok := t.MaxAge[name]
		if !ok || d <= 0 {
			return
		}
		if m == nil {
			m = &yaml.Node{Kind: yaml.MappingNode}
		}
		m.Content = append(m.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: name},
			&yaml.Node{Kind: yaml.ScalarNode, Value: FormatDuration(d)})
	}
	for _, e := range t.Environments {
		add(e.Name)
	}
	for _, name := range t.UnlistedMaxAge() {
		add(name)
	}
	return m
}
