// Package gitlog reads the history of one environment file out of git: for
// each commit that changed it, who made it and which secret names and
// recipients it added, changed or removed. Every version is decrypted in
// memory through the store; values leave this package only when asked for.
// git itself is injected, so commands and tests choose how it runs.
package gitlog

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
)

// Git runs git with args in dir and returns its stdout. The caller makes
// its errors say what git printed on stderr: Open and Read pass them on.
type Git func(dir string, args ...string) ([]byte, error)

// ErrNotRepository means the project is not inside a git work tree, so
// there is no history to read.
var ErrNotRepository = errors.New("not inside a git repository")

// ErrNoCommits means the current branch has no commit yet: the history is
// empty, which is not a failure.
var ErrNoCommits = errors.New("no commit on this branch")

// Entry is one commit of an environment's history. Its JSON form is what
// `envsafe log --json` prints.
type Entry struct {
	Commit string    `json:"commit"`
	Author string    `json:"author"`
	Email  string    `json:"email"`
	Date   time.Time `json:"date"`
	// Subject is the first line of the commit message.
	Subject string `json:"subject"`
	// Merge marks a merge commit; its changes are those it brought into
	// the first parent (the branch merged into).
	Merge bool `json:"merge,omitempty"`
	// Readable is false when this version could not be decrypted; Error
	// says why, and the name lists are empty.
	Readable bool   `json:"readable"`
	Error    string `json:"error,omitempty"`
	// Before, when this version is readable but the one before it is not
	// (you were added here), says why not ("you were not a recipient");
	// Holds then lists the names this version has, since what changed
	// cannot be told.
	Before string   `json:"before,omitempty"`
	Holds  []string `json:"holds,omitempty"`
	// Signature says who signed this version (signed projects).
	Signature         string   `json:"signature,omitempty"`
	Added             []string `json:"added"`
	Changed           []string `json:"changed"`
	Removed           []string `json:"removed"`
	RecipientsAdded   []string `json:"recipients_added,omitempty"`
	RecipientsRemoved []string `json:"recipients_removed,omitempty"`
	// Old and New hold values, only with Options.Values.
	Old map[string]string `json:"old,omitempty"`
	New map[string]string `json:"new,omitempty"`
}

// Options says what Log.Read looks for.
type Options struct {
	// Name, when set, keeps only the commits that changed that secret,
	// and those that cannot be read (they may have changed it).
	Name string
	// Values keeps old and new values in the entries. Without it values
	// are compared through keyed digests and never leave Read.
	Values bool
	// Identity decrypts the versions; nil shows each one as unreadable.
	Identity *identity.Resolved
	// Team names recipients by member; nil shows shortened keys.
	Team *team.Team
	// Former holds the names each key went by in team.yaml's history
	// (FormerMembers), newest first, so that log names people who left
	// instead of showing their keys, and shows a relabelled key's old names.
	Former map[string][]string
	// Verdict, in a signed project, says who signed a decrypted version or
	// why it must not be trusted; nil shows nothing.
	Verdict func(p *payload.Payload, plain []byte) string
}

// History is what Read found, newest commit first.
type History struct {
	Entries []Entry
	// Decrypted reports whether any version was opened, so the caller
	// can record the read in the audit log.
	Decrypted bool
	// Names lists, sorted, the secret names the entries show as added,
	// changed or removed: what the reader learnt something about.
	Names []string
}

// File is where git keeps env's file, relative to the project root, in
// git's slash-separated form.
func File(env string) string {
	return store.DirName + "/" + env + ".age"
}

// Log is the list of commits that changed one environment file, newest
// first, following renames. Listing is apart from reading so that a
// caller finds out there is no history before it looks for an identity
// (which may mean waiting on a keychain).
type Log struct {
	git     Git
	root    string
	commits []rawCommit
}

// Open lists the commits of env's file in the repository holding root.
// Outside a repository the error wraps ErrNotRepository; on a branch
// without commits it is ErrNoCommits.
func Open(git Git, root, env string) (*Log, error) {
	if _, err := git(root, "rev-parse", "--git-dir"); err != nil {
		return nil, hint.With(fmt.Errorf("%s is %w", root, ErrNotRepository), "envsafe log reads the history git keeps of "+store.DirName+"/")
	}
	if _, err := git(root, "rev-parse", "--verify", "-q", "HEAD"); err != nil {
		return nil, ErrNoCommits
	}
	rel := File(env)
	out, err := git(root, "log", "--follow", "--raw", "--no-abbrev", "--no-color", "--no-show-signature", "--diff-merges=first-parent",
		"--format=%x01%H%x00%an%x00%ae%x00%aI%x00%P%x00%s", "--", rel)
	if err != nil {
		return nil, fmt.Errorf("git log %s: %w", rel, err)
	}
	return &Log{git: git, root: root, commits: parseRawLog(string(out))}, nil
}

// Len is the number of commits that changed the file: zero means git has
// no history of it yet.
func (l *Log) Len() int { return len(l.commits) }

// Read decrypts each version and compares it with the one before. A
// version that cannot be opened (not a recipient, no identity, damaged) is
// an unreadable entry, not an error: the rest of the history is still
// worth showing.
func (l *Log) Read(o Options) *History {
	// The digest key lives for one Read: equal values are recognised
	// within it, and no digest is comparable outside it.
	key := make([]byte, 32)
	rand.Read(key)
	cache := map[string]*version{}
	load := func(blob string) *version {
		if blob == nullBlob {
			return nil
		}
		if v, ok := cache[blob]; ok {
			return v
		}
		v := loadVersion(l.git, l.root, blob, o.Identity, key, o.Values, o.Verdict, func() *team.Team { return o.Team })
		cache[blob] = v
		return v
	}
	h := &History{Entries: []Entry{}}
	touched := map[string]bool{}
	for _, c := range l.commits {
		e := Entry{Commit: c.hash, Author: c.author, Email: c.email, Date: c.date, Subject: c.subject, Merge: c.merge, Readable: true,
			Added: []string{}, Changed: []string{}, Removed: []string{}}
		oldV, newV := load(c.oldBlob), load(c.newBlob)
		switch {
		case newV != nil && newV.err != nil:
			e.Readable, e.Error = false, newV.err.Error()
		case oldV != nil && oldV.err != nil && newV != nil:
			// Readable now, not before (you were added here): what changed
			// cannot be told, what it holds can.
			h.Decrypted = true
			_, e.Before, _ = strings.Cut(oldV.err.Error(), ": ")
			e.Holds = slices.Sorted(maps.Keys(newV.digests))
			e.Signature = newV.signature
		case oldV != nil && oldV.err != nil:
			e.Readable, e.Error = false, oldV.err.Error()
		default:
			h.Decrypted = h.Decrypted || oldV != nil || newV != nil
			compareVersions(&e, oldV, newV, o.Values, func(k string) string { return memberName(k, o.Team, o.Former) })
			if newV != nil {
				e.Signature = newV.signature
			}
		}
		if o.Name != "" && e.Readable && e.Before == "" && !filterName(&e, o.Name) {
			continue // a version that cannot be read may have changed it: shown
		}
		for _, list := range [][]string{e.Added, e.Changed, e.Removed} {
			for _, n := range list {
				touched[n] = true
			}
		}
		h.Entries = append(h.Entries, e)
	}
	h.Names = make([]string, 0, len(touched))
	for n := range touched {
		h.Names = append(h.Names, n)
	}
	slices.Sort(h.Names)
	return h
}

// nullBlob is git's name for "no file" in --raw output.
const nullBlob = "0000000000000000000000000000000000000000"

// rawCommit is one commit of `git log --raw` for a single file.
type rawCommit struct {
	hash, author, email, subject string
	date                         time.Time
	merge                        bool
	oldBlob, newBlob             string
}

// parseRawLog reads `git log --raw --no-abbrev --format=%x01%H%x00%an%x00%ae%x00%aI%x00%P%x00%s`.
// Only the fields before the first tab of a raw line are read, so paths
// (with spaces, or the two of a rename) never matter.
func parseRawLog(out string) []rawCommit {
	var commits []rawCommit
	current := false // the last header was well formed: raw lines belong to it
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "\x01"):
			f := strings.SplitN(line[1:], "\x00", 6)
			current = len(f) >= 4
			if !current {
				continue
			}
			date, _ := time.Parse(time.RFC3339, f[3])
			c := rawCommit{hash: f[0], author: f[1], email: f[2], date: date}
			if len(f) == 6 {
				c.merge, c.subject = len(strings.Fields(f[4])) > 1, f[5]
			}
			commits = append(commits, c)
		case strings.HasPrefix(line, "::"):
			// A combined diff of a merge (-c, --cc) compares with every
			// parent at once; a merge shows no change of its own.
		case strings.HasPrefix(line, ":") && current:
			// :100644 100644 OLD NEW M\tpath
			meta, _, _ := strings.Cut(line[1:], "\t")
			f := strings.Fields(meta)
			if len(f) >= 4 {
				c := &commits[len(commits)-1]
				c.oldBlob, c.newBlob = f[2], f[3]
			}
		}
	}
	// A commit without a raw line (a merge) shows no change of its own.
	kept := commits[:0]
	for _, c := range commits {
		if c.newBlob != "" {
			kept = append(kept, c)
		}
	}
	return kept
}

// version is one decrypted state of the file: keyed digests of the values
// (values themselves only when asked for) and the recipients.
type version struct {
	err        error
	digests    map[string][sha256.Size]byte
	values     map[string]string
	recipients []string
	signature  string
}

// loadVersion reads and decrypts one blob, keeping digests of the values
// (and the values only when asked). Its errors name the cause, never
// anything from inside the file.
func loadVersion(git Git, root, blob string, id *identity.Resolved, key []byte, keepValues bool, verdict func(*payload.Payload, []byte) string, teamOf func() *team.Team) *version {
	if id == nil {
		return &version{err: errors.New("cannot decrypt this version: no identity")}
	}
	data, err := git(root, "cat-file", "blob", blob)
	if err != nil {
		return &version{err: fmt.Errorf("cannot read this version from git: %v", err)}
	}
	p, plain, err := store.OpenFile(data, store.AnyEnvironment, id.Identity, nil, teamOf)
	signature := ""
	if err == nil && verdict != nil {
		signature = verdict(p, plain)
	}
	clear(plain)
	switch {
	case errors.Is(err, store.ErrNotRecipient):
		return &version{err: errors.New("cannot decrypt this version: you were not a recipient")}
	case identity.IsPluginError(err):
		return &version{err: fmt.Errorf("cannot decrypt this version: %v", err)}
	case errors.Is(err, store.ErrNewerFormat):
		return &version{err: errors.New("cannot read this version: written by a newer envsafe")}
	case err != nil:
		return &version{err: errors.New("cannot read this version: not an intact envsafe file")}
	}
	v := &version{digests: map[string][sha256.Size]byte{}, recipients: p.Recipients, signature: signature}
	if keepValues {
		v.values = map[string]string{}
	}
	mac := hmac.New(sha256.New, key)
	for name, sec := range p.Secrets {
		mac.Reset()
		mac.Write([]byte(sec.Value))
		var sum [sha256.Size]byte
		mac.Sum(sum[:0])
		v.digests[name] = sum
		if keepValues {
			v.values[name] = sec.Value
		}
	}
	return v
}

// compareVersions fills e with what changed from old to new (either may be
// nil: the file was created or deleted). Recipients of a file that did not
// exist on one side are not a change of access, so they are not listed.
func compareVersions(e *Entry, old, new *version, values bool, name func(string) string) {
	empty := &version{digests: map[string][sha256.Size]byte{}, values: map[string]string{}}
	if old == nil {
		old = empty
	}
	if new == nil {
		new = empty
	}
	if values {
		e.Old, e.New = map[string]string{}, map[string]string{}
	}
	for name, sum := range new.digests {
		prev, ok := old.digests[name]
		switch {
		case !ok:
			e.Added = append(e.Added, name)
		case prev != sum:
			e.Changed = append(e.Changed, name)
		default:
			continue
		}
		if values {
			e.New[name] = new.values[name]
			if ok {
				e.Old[name] = old.values[name]
			}
		}
	}
	for name := range old.digests {
		if _, ok := new.digests[name]; !ok {
			e.Removed = append(e.Removed, name)
			if values {
				e.Old[name] = old.values[name]
			}
		}
	}
	slices.Sort(e.Added)
	slices.Sort(e.Changed)
	slices.Sort(e.Removed)
	for _, k := range new.recipients {
		if !slices.Contains(old.recipients, k) && old != empty {
			e.RecipientsAdded = append(e.RecipientsAdded, name(k))
		}
	}
	for _, k := range old.recipients {
		if !slices.Contains(new.recipients, k) && new != empty {
			e.RecipientsRemoved = append(e.RecipientsRemoved, name(k))
		}
	}
}

// filterName keeps only name in e and reports whether name changed.
// Recipient changes are dropped: they are not about one secret.
func filterName(e *Entry, name string) bool {
	keep := func(list []string) []string {
		if slices.Contains(list, name) {
			return []string{name}
		}
		return []string{}
	}
	e.Added, e.Changed, e.Removed = keep(e.Added), keep(e.Changed), keep(e.Removed)
	e.RecipientsAdded, e.RecipientsRemoved = nil, nil
	for _, m := range []map[string]string{e.Old, e.New} {
		for k := range m {
			if k != name {
				delete(m, k)
			}
		}
	}
	return len(e.Added)+len(e.Changed)+len(e.Removed) > 0
}

// memberName names a key by its member now, or by who held it before
// ("bob (left)"), or shortened.
func memberName(k string, t *team.Team, former map[string][]string) string {
	if t != nil {
		if name, ok := t.MemberByRecipient(k); ok {
			// team.yaml is anyone's to edit: a key that went by other names
			// shows them, so a relabelled key cannot pass for someone else.
			var was []string
			for _, n := range former[k] {
				if n != name {
					was = append(was, n)
				}
			}
			if len(was) > 0 {
				return name + " (was " + strings.Join(was, ", ") + ")"
			}
			return name
		}
	}
	if names := former[k]; len(names) > 0 {
		return names[0] + " (left)"
	}
	return team.NameOf(k, t)
}

// FormerMembers maps every key team.yaml ever gave a member, in the
// history of the repository holding root, to the names it went by, newest
// first: the names log shows for people who have left. Unreadable versions are
// skipped; it is empty outside git.
func FormerMembers(git Git, root string) map[string][]string {
	names := map[string][]string{}
	out, err := git(root, "log", "--raw", "--no-abbrev", "--no-color", "--format=", "--", store.DirName+"/"+store.TeamFile)
	if err != nil {
		return names
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		meta, _, _ := strings.Cut(strings.TrimPrefix(line, ":"), "\t")
		f := strings.Fields(meta)
		if !strings.HasPrefix(line, ":") || len(f) < 4 {
			continue
		}
		for _, blob := range f[2:4] {
			if blob == nullBlob || seen[blob] {
				continue
			}
			seen[blob] = true
			data, err := git(root, "cat-file", "blob", blob)
			if err != nil {
				continue
			}
			t, err := team.Parse(data)
			if err != nil {
				continue
			}
			for _, m := range t.Members {
				if !slices.Contains(names[m.Recipient], m.Name) {
					names[m.Recipient] = append(names[m.Recipient], m.Name)
				}
			}
		}
	}
	return names
}
