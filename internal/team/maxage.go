package team

import (
	"fmt"
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
// whose keys must be environments listed above it.
func (t *Team) decodeMaxAge(n *yaml.Node) error {
	if n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return lineErr(n, "max_age must map environment names to durations, like `production: 90d`")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, ok := t.Env(k.Value); !ok {
			return lineErr(k, "max_age names %q, which is not under environments", k.Value)
		}
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

// marshalMaxAge writes max_age in environment order, leaving out entries
// for environments no longer listed (env rm); nil when there is none.
func (t *Team) marshalMaxAge() *yaml.Node {
	var m *yaml.Node
	for _, e := range t.Environments {
		d, ok := t.MaxAge[e.Name]
		if !ok || d <= 0 {
			continue
		}
		if m == nil {
			m = &yaml.Node{Kind: yaml.MappingNode}
		}
		m.Content = append(m.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: e.Name},
			&yaml.Node{Kind: yaml.ScalarNode, Value: FormatDuration(d)})
	}
	return m
}
