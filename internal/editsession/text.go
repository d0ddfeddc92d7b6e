package editsession

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/envsafe/envsafe/internal/dotenv"
	"github.com/envsafe/envsafe/internal/payload"
)

const header = `# envsafe edit: %s (%d secrets). Save and quit to encrypt; quit without
# saving to change nothing. NAME=value lines, as in a .env file: quote values
# that contain # or line breaks, or begin or end with spaces.
`

// Render is the text the editor opens: a header, a note above each secret a
// git merge left undecided, then the secrets as dotenv lines. Values no
// dotenv quoting can carry are left out, with a note naming them, and
// returned as hidden, so that Diff keeps them instead of taking them for
// deleted.
func Render(p *payload.Payload, env string) (text []byte, hidden []string) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, header, env, len(p.Secrets))
	pairs := make([]dotenv.Pair, 0, len(p.Secrets))
	for _, name := range p.Names() {
		pairs = append(pairs, dotenv.Pair{Name: name, Value: p.Secrets[name].Value})
	}
	var body bytes.Buffer
	err := dotenv.Write(&body, pairs)
	var unwritable *dotenv.UnwritableError
	if errors.As(err, &unwritable) {
		hidden = unwritable.Names()
		kept := pairs[:0]
		for _, pr := range pairs {
			if !slices.Contains(hidden, pr.Name) {
				kept = append(kept, pr)
			}
		}
		body.Reset()
		dotenv.Write(&body, kept)
		fmt.Fprintf(&buf, "# Not shown (no dotenv quoting can carry them; kept unchanged, use envsafe set): %s\n", strings.Join(hidden, ", "))
	}
	for _, name := range p.ConflictNames() {
		c := p.Conflicts[name]
		fmt.Fprintf(&buf, "# merge conflict on %s: the line below is our side; theirs was %s, base was %s. Keep or change the line, or delete it.\n",
			name, side(c.Theirs), side(c.Base))
	}
	buf.Write(body.Bytes())
	return buf.Bytes(), hidden
}

// side shows one side of a merge conflict in the editor's text.
func side(v *string) string {
	if v == nil {
		return "(absent)"
	}
	return strconv.Quote(*v)
}

// Changes is what an edit did, by name, so that only what the user touched
// is written and a concurrent change to another secret is not undone.
type Changes struct {
	// Set holds the lines to store: new names, changed values, and secrets
	// whose merge conflict the edit settled by keeping or changing the line.
	Set []dotenv.Pair
	// Added counts the entries of Set whose names are new.
	Added int
	// Removed names the secrets and conflicts whose lines were deleted.
	Removed []string
}

// Empty reports whether the edit changed nothing.
func (c Changes) Empty() bool { return len(c.Set) == 0 && len(c.Removed) == 0 }

// Diff compares the edited lines with the environment Render showed.
// Deleting a conflicting secret's line settles the conflict by removing the
// secret; hidden names were never shown, so they are not removed.
func Diff(before *payload.Payload, edited []dotenv.Pair, hidden []string) Changes {
	var c Changes
	kept := make(map[string]bool, len(edited))
	for _, pr := range edited {
		kept[pr.Name] = true
		old, stored := before.Secrets[pr.Name]
		_, conflicted := before.Conflicts[pr.Name]
		if !stored && !conflicted {
			c.Added++
		}
		if !stored || old.Value != pr.Value || conflicted {
			c.Set = append(c.Set, pr)
		}
	}
	for _, name := range append(before.Names(), before.ConflictNames()...) {
		if !kept[name] && !slices.Contains(hidden, name) && !slices.Contains(c.Removed, name) {
			c.Removed = append(c.Removed, name)
		}
	}
	return c
}
