package commands

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
	"github.com/urfave/cli/v2"
)

type logOpts struct {
	env    string
	name   string
	values bool
	json   bool
}

func newLogCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "log",
		Usage:     "show who changed which secrets of an environment, from git history",
		ArgsUsage: "[NAME]",
		Description: `For each commit that changed .envsafe/ENV.age (newest first, following
renames): the author, the date and the secret names added (+), changed (~)
or removed (-), found by decrypting each version in memory. Versions you
cannot decrypt are shown as such. With NAME, only the commits that changed
that secret. Values are printed only with --values.

Examples:
   envsafe log -e production
   envsafe log API_KEY
   envsafe log -e production --json | jq '.[0]'`,
		Flags: []cli.Flag{
			envFlag(),
			&cli.BoolFlag{Name: "values", Usage: "also print the values (old -> new)"},
			&cli.BoolFlag{Name: "json", Usage: "print the history as JSON"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return usagef("log", "log takes at most one NAME, got %d arguments", c.NArg())
			}
			return runLog(c.Context, d, logOpts{env: c.String("env"), name: c.Args().First(), values: c.Bool("values"), json: c.Bool("json")})
		},
	}
}

// logEntry is one commit of an environment's history.
type logEntry struct {
	Commit string    `json:"commit"`
	Author string    `json:"author"`
	Email  string    `json:"email"`
	Date   time.Time `json:"date"`
	// Readable is false when this version or the one before it could not
	// be decrypted; Error says why, and the name lists are empty.
	Readable          bool     `json:"readable"`
	Error             string   `json:"error,omitempty"`
	Added             []string `json:"added"`
	Changed           []string `json:"changed"`
	Removed           []string `json:"removed"`
	RecipientsAdded   []string `json:"recipients_added,omitempty"`
	RecipientsRemoved []string `json:"recipients_removed,omitempty"`
	// Old and New hold values, only with --values.
	Old map[string]string `json:"old,omitempty"`
	New map[string]string `json:"new,omitempty"`
}

// version is one decrypted state of the file: keyed digests of the values
// (values themselves only with --values) and the recipients.
type version struct {
	err        error
	digests    map[string][sha256.Size]byte
	values     map[string]string
	recipients []string
}

// nullBlob is git's name for "no file" in --raw output.
const nullBlob = "0000000000000000000000000000000000000000"

func runLog(ctx context.Context, d *Deps, o logOpts) error {
	if o.name != "" {
		if err := payload.ValidateName(o.name); err != nil {
			return usagef("log", "%v", err)
		}
	}
	s, err := d.project()
	if err != nil {
		return err
	}
	env, err := d.envName(s, o.env)
	if err != nil {
		return err
	}
	if d.Git == nil {
		return errors.New("git is not available")
	}
	if _, err := d.Git(s.Root(), "rev-parse", "--git-dir"); err != nil {
		return hint.With(fmt.Errorf("%s is not inside a git repository", s.Root()), "envsafe log reads the history git keeps of "+store.DirName+"/")
	}
	rel := filepath.ToSlash(filepath.Join(store.DirName, env+".age"))
	if _, err := d.Git(s.Root(), "rev-parse", "--verify", "-q", "HEAD"); err != nil {
		d.say("git has no history of %s yet (no commit on this branch).", rel)
		if o.json {
			fmt.Fprintln(d.Stdout, "[]")
		}
		return nil
	}
	out, err := d.Git(s.Root(), "log", "--follow", "--raw", "--no-abbrev", "--no-color", "--no-show-signature",
		"--format=%x01%H%x00%an%x00%ae%x00%aI", "--", rel)
	if err != nil {
		return fmt.Errorf("git log %s: %w", rel, gitError(err))
	}
	commits := parseRawLog(string(out))
	id, idErr := d.identity(ctx)
	if idErr != nil {
		d.warn("no version can be decrypted: %v", idErr)
	}
	t, _ := s.Team()
	key := make([]byte, 32)
	rand.Read(key)
	cache := map[string]*version{}
	load := func(blob string) *version {
		if v, ok := cache[blob]; ok {
			return v
		}
		v := loadVersion(d, s.Root(), blob, id, key, o.values)
		cache[blob] = v
		return v
	}
	entries := []logEntry{}
	touched := map[string]bool{}
	decrypted := false
	for _, c := range commits {
		e := logEntry{Commit: c.hash, Author: c.author, Email: c.email, Date: c.date, Readable: true,
			Added: []string{}, Changed: []string{}, Removed: []string{}}
		var oldV, newV *version
		if c.oldBlob != nullBlob {
			oldV = load(c.oldBlob)
		}
		if c.newBlob != nullBlob {
			newV = load(c.newBlob)
		}
		for _, v := range []*version{oldV, newV} {
			if v != nil && v.err != nil {
				e.Readable, e.Error = false, v.err.Error()
			}
		}
		if e.Readable {
			decrypted = decrypted || oldV != nil || newV != nil
			compareVersions(&e, oldV, newV, o.values, t)
		}
		if o.name != "" && e.Readable && !filterName(&e, o.name) {
			continue // a version that cannot be read may have changed it: shown
		}
		for _, list := range [][]string{e.Added, e.Changed, e.Removed} {
			for _, n := range list {
				touched[n] = true
			}
		}
		entries = append(entries, e)
	}
	if decrypted {
		names := make([]string, 0, len(touched))
		for n := range touched {
			names = append(names, n)
		}
		d.auditRecord(s.Root(), env, names, len(names))
	}
	if o.values && d.StdoutIsTTY {
		d.warn("secret values are on screen")
	}
	if o.json {
		enc := json.NewEncoder(d.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	}
	printLog(d, entries, o.values)
	if len(commits) == 0 {
		d.say("git has no history of %s yet (commit it first).", rel)
	}
	return nil
}

// rawCommit is one commit of `git log --raw` for a single file.
type rawCommit struct {
	hash, author, email string
	date                time.Time
	oldBlob, newBlob    string
}

// parseRawLog reads `git log --raw --no-abbrev --format=%x01%H%x00%an%x00%ae%x00%aI`.
func parseRawLog(out string) []rawCommit {
	var commits []rawCommit
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "\x01"):
			f := strings.SplitN(line[1:], "\x00", 4)
			if len(f) != 4 {
				continue
			}
			date, _ := time.Parse(time.RFC3339, f[3])
			commits = append(commits, rawCommit{hash: f[0], author: f[1], email: f[2], date: date})
		case strings.HasPrefix(line, ":") && len(commits) > 0:
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

// loadVersion reads and decrypts one blob, keeping digests of the values
// (and the values only when asked).
func loadVersion(d *Deps, root, blob string, id *identity.Resolved, key []byte, keepValues bool) *version {
	if id == nil {
		return &version{err: errors.New("cannot decrypt this version: no identity")}
	}
	data, err := d.Git(root, "cat-file", "blob", blob)
	if err != nil {
		return &version{err: fmt.Errorf("cannot read this version from git: %v", gitError(err))}
	}
	p, plain, err := store.OpenFile(data, store.AnyEnvironment, id.Identity)
	clear(plain)
	switch {
	case errors.Is(err, store.ErrNotRecipient):
		return &version{err: errors.New("cannot decrypt this version: you were not a recipient")}
	case errors.Is(err, store.ErrNewerFormat):
		return &version{err: errors.New("cannot read this version: written by a newer envsafe")}
	case err != nil:
		return &version{err: errors.New("cannot read this version: not an intact envsafe file")}
	}
	v := &version{digests: map[string][sha256.Size]byte{}, recipients: p.Recipients}
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
// nil: the file was created or deleted).
func compareVersions(e *logEntry, old, new *version, values bool, t *team.Team) {
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
	name := func(k string) string {
		if t != nil {
			if m, ok := t.MemberByRecipient(k); ok {
				return m
			}
		}
		return identity.Short(k)
	}
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

// filterName keeps only NAME in e and reports whether NAME changed.
func filterName(e *logEntry, name string) bool {
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

func printLog(d *Deps, entries []logEntry, values bool) {
	w := d.Stdout
	for i, e := range entries {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "commit %s  %s  %s <%s>\n", shortCommit(e.Commit), e.Date.Format("2006-01-02 15:04 -07:00"), e.Author, e.Email)
		if !e.Readable {
			fmt.Fprintf(w, "    (%s)\n", e.Error)
			continue
		}
		show := func(sign string, names []string, val func(string) string) {
			for _, n := range names {
				if values {
					fmt.Fprintf(w, "    %s %s: %s\n", sign, n, val(n))
				} else {
					fmt.Fprintf(w, "    %s %s\n", sign, n)
				}
			}
		}
		show("+", e.Added, func(n string) string { return strconv.Quote(e.New[n]) })
		show("~", e.Changed, func(n string) string { return strconv.Quote(e.Old[n]) + " -> " + strconv.Quote(e.New[n]) })
		show("-", e.Removed, func(n string) string { return strconv.Quote(e.Old[n]) })
		if len(e.RecipientsAdded)+len(e.RecipientsRemoved) > 0 {
			var parts []string
			for _, m := range e.RecipientsAdded {
				parts = append(parts, "+ "+m)
			}
			for _, m := range e.RecipientsRemoved {
				parts = append(parts, "- "+m)
			}
			fmt.Fprintf(w, "    recipients: %s\n", strings.Join(parts, ", "))
		}
		if len(e.Added)+len(e.Changed)+len(e.Removed) == 0 && len(e.RecipientsAdded)+len(e.RecipientsRemoved) == 0 {
			fmt.Fprintln(w, "    (re-encrypted; no secret changed)")
		}
	}
}
