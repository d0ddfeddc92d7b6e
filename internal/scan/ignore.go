package scan

import (
	"bytes"
	"path"
	"strings"
)

// Ignore holds the patterns of .envsafe/scanignore: paths that scan leaves
// out, in .gitignore syntax. One pattern per line; blank lines and lines
// starting with # are skipped; ! re-includes what an earlier pattern left
// out; a trailing / matches only folders (and so everything in them); a
// pattern with a / at its start or middle is relative to the project root,
// otherwise it matches a file or folder name at any depth; * and ? match
// within a name, [a-z] a class, ** any number of folders. The last pattern
// that matches a path decides.
type Ignore struct {
	patterns []ignorePattern
}

type ignorePattern struct {
	negate  bool
	dirOnly bool
	segs    []string
}

// ParseIgnore reads scanignore text. It never fails: a line that is not a
// valid pattern simply matches nothing.
func ParseIgnore(data []byte) *Ignore {
	ig := &Ignore{}
	for _, line := range bytes.Split(data, []byte("\n")) {
		l := strings.TrimRight(string(bytes.TrimSuffix(line, []byte("\r"))), " \t")
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		var p ignorePattern
		if strings.HasPrefix(l, "!") {
			p.negate, l = true, l[1:]
		} else if strings.HasPrefix(l, `\!`) || strings.HasPrefix(l, `\#`) {
			l = l[1:]
		}
		if strings.HasSuffix(l, "/") {
			p.dirOnly, l = true, strings.TrimRight(l, "/")
		}
		if l == "" {
			continue
		}
		anchored := strings.Contains(l, "/")
		l = strings.TrimPrefix(l, "/")
		for _, s := range strings.Split(l, "/") {
			if s == "" {
				continue
			}
			if s == "**" && len(p.segs) > 0 && p.segs[len(p.segs)-1] == "**" {
				continue // a/**/**/b is a/**/b
			}
			p.segs = append(p.segs, s)
		}
		if len(p.segs) == 0 {
			continue
		}
		if !anchored && p.segs[0] != "**" {
			p.segs = append([]string{"**"}, p.segs...)
		}
		ig.patterns = append(ig.patterns, p)
	}
	return ig
}

// Match reports whether the slash-separated path, relative to the project
// root, is left out.
func (ig *Ignore) Match(p string) bool {
	if ig == nil || len(ig.patterns) == 0 {
		return false
	}
	parts := strings.Split(strings.Trim(p, "/"), "/")
	ignored := false
	for _, pat := range ig.patterns {
		if pat.matches(parts) {
			ignored = !pat.negate
		}
	}
	return ignored
}

// matches tries the pattern on the path and on each folder above it: a
// pattern that matches a folder leaves out everything inside.
func (p ignorePattern) matches(parts []string) bool {
	for n := 1; n <= len(parts); n++ {
		if n == len(parts) && p.dirOnly {
			return false
		}
		if matchSegments(p.segs, parts[:n]) {
			return true
		}
	}
	return false
}

// matchSegments matches pattern segments against path segments, ** taking
// any number of them (a trailing ** at least one). It is a table over
// (pattern, path) positions, so no pattern can make it slow.
func matchSegments(pat, name []string) bool {
	// ok[j] says whether pat[i:] matches name[j:], computed for i from
	// the end down.
	ok := make([]bool, len(name)+1)
	ok[len(name)] = true
	for i := len(pat) - 1; i >= 0; i-- {
		next := ok
		ok = make([]bool, len(name)+1)
		if pat[i] == "**" {
			for j := len(name); j >= 0; j-- {
				if i == len(pat)-1 {
					ok[j] = j < len(name) // a trailing ** takes at least one
				} else {
					ok[j] = next[j] || (j < len(name) && ok[j+1])
				}
			}
			continue
		}
		for j := 0; j < len(name); j++ {
			if next[j+1] {
				if m, err := path.Match(pat[i], name[j]); err == nil && m {
					ok[j] = true
				}
			}
		}
	}
	return ok[0]
}
