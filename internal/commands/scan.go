package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/scan"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/urfave/cli/v2"
)

// ScanIgnoreFile lists, in .envsafe/, the paths scan leaves out.
const ScanIgnoreFile = "scanignore"

// maxScanFile bounds a working-tree file scan reads; larger ones are
// skipped with a note (generated data, not source).
const maxScanFile = 32 << 20

type scanOpts struct {
	paths   []string
	staged  bool
	history bool
	json    bool
}

func newScanCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "scan",
		Usage:     "find secrets in files, staged changes or git history",
		ArgsUsage: "[PATH...]",
		Description: `Reports, by FILE:LINE and rule, never with the text found:
   - exact copies of this project's own secret values (8 characters or more,
     from every environment you can decrypt; compared by keyed hash);
   - well-known credential shapes: AWS keys, GitHub, GitLab, Slack and
     Stripe tokens, Google API keys, Azure storage keys, private key
     blocks, age secret keys, JWTs, passwords in URLs;
   - plaintext .env files that git tracks or does not ignore.
Without flags it reads the working tree under the project (files git
tracks or does not ignore); --staged reads what the next commit adds (the
pre-commit hook runs this); --history reads every line ever added on any
branch. Both read the whole repository when the project is in a subfolder.
Files in .envsafe/ are never reported. A line containing envsafe:allow is
skipped; .envsafe/scanignore lists paths to skip, in .gitignore syntax.
Exit status: 0 nothing found, 1 findings.

Examples:
   envsafe scan
   envsafe scan --staged
   envsafe scan --history --json | jq '.findings[]'
   envsafe scan src/ config/app.yml`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "staged", Usage: "scan the changes staged for the next commit"},
			&cli.BoolFlag{Name: "history", Usage: "scan every commit of every branch"},
			&cli.BoolFlag{Name: "json", Usage: "print the findings as JSON"},
		},
		Action: func(c *cli.Context) error {
			if c.Bool("staged") && c.Bool("history") {
				return usagef("scan", "choose one of --staged and --history")
			}
			return runScan(c.Context, d, scanOpts{paths: c.Args().Slice(), staged: c.Bool("staged"), history: c.Bool("history"), json: c.Bool("json")})
		},
	}
}

// scanReport is what --json prints.
type scanReport struct {
	Findings []scan.Finding `json:"findings"`
	// Scanned counts files (working tree) or changed files (staged,
	// history) that were read.
	Scanned int `json:"scanned"`
	// Values is how many distinct secret values were looked for.
	Values int `json:"values"`
	// Unchecked lists environments whose values could not be looked for.
	Unchecked []string `json:"unchecked_environments"`
}

func runScan(ctx context.Context, d *Deps, o scanOpts) error {
	root, s := d.Dir, (*store.Store)(nil)
	if found, err := d.project(); err == nil {
		root, s = found.Root(), found
	}
	inGit := d.Git != nil
	if inGit {
		_, err := d.Git(root, "rev-parse", "--git-dir")
		inGit = err == nil
	}
	if (o.staged || o.history) && !inGit {
		return hint.With(fmt.Errorf("%s is not inside a git repository", root), "without --staged or --history, scan reads the files here")
	}
	pathspecs, err := scanPathspecs(d, root, o.paths)
	if err != nil {
		return err
	}
	r := scanReport{Findings: []scan.Finding{}, Unchecked: []string{}}
	values := scan.NewValues()
	if s != nil {
		r.Unchecked = collectValues(ctx, d, s, values)
	} else {
		d.warn("not inside an envsafe project: looking for credential shapes and .env files only")
	}
	r.Values = values.Len()
	var ignore *scan.Ignore
	if s != nil {
		if data, err := os.ReadFile(filepath.Join(s.Dir(), ScanIgnoreFile)); err == nil {
			ignore = scan.ParseIgnore(data)
		}
	}
	skip := func(path string) bool { return scan.InEnvsafeDir(path) || ignore.Match(path) }
	scanner := scan.New(values)
	values = nil // the scanner holds the hashes; nothing else needs them
	switch {
	case o.staged, o.history:
		err = scanDiff(d, root, o.history, pathspecs, scanner, skip, &r)
	case inGit:
		err = scanGitTree(d, root, pathspecs, scanner, skip, &r)
	default:
		err = scanFolder(d, root, pathspecs, scanner, skip, &r)
	}
	if err != nil {
		return err
	}
	sortFindings(r.Findings)
	if o.json {
		enc := json.NewEncoder(d.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else {
		printFindings(d.Stdout, r.Findings)
	}
	what := map[bool]string{true: "changed files", false: "files"}[o.staged || o.history]
	if len(r.Findings) == 0 {
		d.say("No secrets found (%d %s, %s checked).", r.Scanned, what, plural(r.Values, "secret value"))
		return nil
	}
	files := map[string]bool{}
	for _, f := range r.Findings {
		files[f.Commit+"\x00"+f.Path] = true
	}
	err = &findingsError{summary: fmt.Sprintf("scan: %s in %s", plural(len(r.Findings), "finding"), plural(len(files), "file"))}
	err = hint.With(err, "not a secret? add envsafe:allow to that line, or list the path in "+store.DirName+"/"+ScanIgnoreFile)
	switch {
	case o.staged:
		return hint.With(err, "take the secret out of the file and keep it with `envsafe set NAME`, `git add` the file again, then commit")
	case o.history:
		return hint.With(err, "a secret in a commit others may have fetched must be rotated at its source (or with `envsafe set NAME --generate` if your team issues it); rewriting history does not take it back")
	default:
		return hint.With(err, "keep secrets with `envsafe set NAME` (or `envsafe import .env`) and read them with `envsafe run`; delete plaintext copies")
	}
}

// collectValues decrypts every environment it can and keeps only keyed
// hashes of the values. It returns the environments it could not read.
func collectValues(ctx context.Context, d *Deps, s *store.Store, values *scan.Values) []string {
	unchecked := []string{}
	t, err := s.Team()
	if err != nil {
		d.warn("secret values not checked: %v", err)
		return unchecked
	}
	id, err := d.identity(ctx)
	if err != nil {
		d.warn("secret values not checked: %v", err)
		return t.EnvNames()
	}
	for _, env := range t.EnvNames() {
		p, err := s.Read(env, id.Identity)
		if err != nil {
			unchecked = append(unchecked, env)
			if !errors.Is(err, store.ErrNotRecipient) {
				d.warn("values of %s not checked: %v", env, err)
			}
			continue
		}
		for name, sec := range p.Secrets {
			values.Add(sec.Value, name+" in "+env)
		}
		clear(p.Secrets)
	}
	if len(unchecked) > 0 {
		d.say("Values of %s not checked (you cannot decrypt them).", strings.Join(unchecked, ", "))
	}
	return unchecked
}

// scanPathspecs turns PATH arguments, relative to the working directory,
// into paths relative to the root, refusing those outside it.
func scanPathspecs(d *Deps, root string, paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		rel, err := filepath.Rel(root, resolvePath(d, p))
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil, usagef("scan", "%s is outside the project at %s", p, root)
		}
		out = append(out, filepath.ToSlash(rel))
	}
	return out, nil
}

// gitPathspecs limits a git command to the paths asked for, never into
// .envsafe folders.
func gitPathspecs(pathspecs []string) []string {
	args := []string{"--"}
	if len(pathspecs) == 0 {
		args = append(args, ".")
	}
	for _, p := range pathspecs {
		args = append(args, ":(literal)"+p)
	}
	return append(args, ":(exclude,glob)**/"+store.DirName+"/**")
}

// scanDiff reads the lines that `git diff --cached` or `git log -p` add,
// in the whole repository: a project in a subfolder of a monorepo can leak
// into its neighbours too. Paths are shown relative to the project root.
func scanDiff(d *Deps, root string, history bool, pathspecs []string, scanner *scan.Scanner, skip func(string) bool, r *scanReport) error {
	out, err := d.Git(root, "rev-parse", "--show-toplevel", "--show-prefix")
	if err != nil {
		return fmt.Errorf("finding the git work tree: %w", gitError(err))
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	top, prefix := strings.TrimSpace(lines[0]), ""
	if len(lines) > 1 {
		prefix = strings.TrimSuffix(strings.TrimSpace(lines[1]), "/")
	}
	fromTop := make([]string, len(pathspecs))
	for i, p := range pathspecs {
		fromTop[i] = path.Join(prefix, p)
	}
	display := func(p string) string {
		if prefix == "" {
			return p
		}
		if rel, err := filepath.Rel(filepath.FromSlash(prefix), filepath.FromSlash(p)); err == nil {
			return filepath.ToSlash(rel)
		}
		return p
	}
	common := []string{"-U0", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames",
		"--src-prefix=a/", "--dst-prefix=b/"}
	args := []string{"-c", "core.quotePath=false", "diff", "--cached"}
	if history {
		args = []string{"-c", "core.quotePath=false", "log", "-p", "--all", "--no-show-signature", "--format=" + scan.CommitFormat}
	}
	args = append(append(args, common...), gitPathspecs(fromTop)...)
	seen := map[string]bool{}
	err = d.gitStream(top, args, func(out io.Reader) error {
		return scan.ParseDiff(out, func(c scan.Change) error {
			if scan.InEnvsafeDir(c.Path) {
				return nil
			}
			c.Path = display(c.Path)
			if skip(c.Path) || c.Deleted {
				return nil
			}
			r.Scanned++
			if scan.IsDotenvFile(c.Path) && !seen[c.Commit+"\x00"+c.Path] {
				seen[c.Commit+"\x00"+c.Path] = true
				desc := "plaintext .env file staged for commit"
				if history {
					desc = "plaintext .env file committed"
				}
				r.Findings = append(r.Findings, scan.Finding{Commit: c.Commit, Path: c.Path, Rule: scan.RuleDotenvFile, Description: desc})
			}
			if !c.Binary {
				r.Findings = append(r.Findings, scanner.Scan(c.Text)...)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("reading git %s: %w", map[bool]string{true: "history", false: "staged changes"}[history], gitError(err))
	}
	return nil
}

// scanGitTree reads the files git tracks or does not ignore. A file named
// on the command line is read even when git ignores it.
func scanGitTree(d *Deps, root string, pathspecs []string, scanner *scan.Scanner, skip func(string) bool, r *scanReport) error {
	lsArgs := append([]string{"-c", "core.quotePath=false", "ls-files", "-z", "--cached", "--others", "--exclude-standard"}, gitPathspecs(pathspecs)...)
	out, err := d.Git(root, lsArgs...)
	if err != nil {
		return fmt.Errorf("listing files with git: %w", gitError(err))
	}
	listed := map[string]bool{}
	var files []string
	for _, p := range strings.Split(string(out), "\x00") {
		if p != "" && !listed[p] {
			listed[p] = true
			files = append(files, p)
		}
	}
	for _, p := range pathspecs {
		if fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(p))); err == nil && fi.Mode().IsRegular() && !listed[p] {
			files = append(files, p) // named, though git ignores it
		}
	}
	for _, p := range files {
		if listed[p] && scan.IsDotenvFile(p) && !skip(p) {
			r.Findings = append(r.Findings, scan.Finding{Path: p, Rule: scan.RuleDotenvFile, Description: "plaintext .env file that git tracks or does not ignore"})
		}
	}
	return scanFiles(d, root, files, scanner, skip, r)
}

// scanFolder walks a folder that is not in git, skipping .git.
func scanFolder(d *Deps, root string, pathspecs []string, scanner *scan.Scanner, skip func(string) bool, r *scanReport) error {
	if len(pathspecs) == 0 {
		pathspecs = []string{"."}
	}
	var files []string
	for _, start := range pathspecs {
		err := filepath.WalkDir(filepath.Join(root, filepath.FromSlash(start)), func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			rel = filepath.ToSlash(rel)
			if e.IsDir() {
				if e.Name() == ".git" || e.Name() == store.DirName {
					return filepath.SkipDir
				}
				return nil
			}
			if e.Type().IsRegular() {
				files = append(files, rel)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, p := range files {
		if scan.IsDotenvFile(p) && !skip(p) {
			r.Findings = append(r.Findings, scan.Finding{Path: p, Rule: scan.RuleDotenvFile, Description: "plaintext .env file"})
		}
	}
	return scanFiles(d, root, files, scanner, skip, r)
}

// scanFiles reads and scans files on every core.
func scanFiles(d *Deps, root string, files []string, scanner *scan.Scanner, skip func(string) bool, r *scanReport) error {
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		tooBig  []string
		work    = make(chan string)
		workers = max(1, runtime.GOMAXPROCS(0))
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				full := filepath.Join(root, filepath.FromSlash(p))
				fi, err := os.Lstat(full)
				if err != nil || !fi.Mode().IsRegular() {
					continue // deleted but still in the index, a symlink, a submodule
				}
				if fi.Size() > maxScanFile {
					mu.Lock()
					tooBig = append(tooBig, p)
					mu.Unlock()
					continue
				}
				data, err := os.ReadFile(full)
				if err != nil || scan.IsBinary(data) {
					continue
				}
				found := scanner.Scan(scan.Text{Path: p, Data: data})
				mu.Lock()
				r.Scanned++
				r.Findings = append(r.Findings, found...)
				mu.Unlock()
			}
		}()
	}
	for _, p := range files {
		if !skip(p) {
			work <- p
		}
	}
	close(work)
	wg.Wait()
	if len(tooBig) > 0 {
		sort.Strings(tooBig)
		d.say("Skipped (over %d MiB): %s.", maxScanFile>>20, strings.Join(tooBig, ", "))
	}
	return nil
}

func sortFindings(fs []scan.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Commit != b.Commit {
			return a.Commit < b.Commit
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Rule < b.Rule
	})
}

// gitError adds what git said on stderr to err.
func gitError(err error) error {
	var exit *exec.ExitError
	if errors.As(err, &exit) && len(exit.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(exit.Stderr)))
	}
	return err
}

// printFindings writes one line per finding: [COMMIT ]FILE[:LINE]: RULE: WHAT.
func printFindings(w io.Writer, fs []scan.Finding) {
	for _, f := range fs {
		where := displayPath(f.Path)
		if f.Line > 0 {
			where = fmt.Sprintf("%s:%d", where, f.Line)
		}
		if f.Commit != "" {
			where = shortCommit(f.Commit) + " " + where
		}
		fmt.Fprintf(w, "%s: %s: %s\n", where, f.Rule, f.Description)
	}
}

// displayPath quotes a file name holding control characters, so a name
// chosen by whoever pushed cannot move the cursor or recolour a terminal.
func displayPath(p string) string {
	if strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError }) {
		return strconv.Quote(p)
	}
	return p
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
