package scan

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
)

// envsafeDir is the folder of ciphertext and team.yaml that a scan never
// reads: its content is encrypted, and its names are not secrets.
const envsafeDir = ".envsafe"

// Git is how a scan reaches git. The caller runs git, so this package never
// starts a program and in-process tests can put their own git in its place.
// Errors are reported wrapped in what was being read, so they should
// already carry what git printed on stderr.
type Git interface {
	// Output runs git with args in dir and returns its stdout.
	Output(dir string, args ...string) ([]byte, error)
	// Stream runs git with args in dir and hands its stdout to read as it
	// comes: `git log -p --all` of a large repository does not fit in
	// memory.
	Stream(dir string, args []string, read func(io.Reader) error) error
}

// InRepo reports whether dir is inside a git work tree; false when g is
// nil (git is not available), so callers can fall back to a folder walk.
func InRepo(g Git, dir string) bool {
	if g == nil {
		return false
	}
	_, err := g.Output(dir, "rev-parse", "--git-dir")
	return err == nil
}

// Source says what a scan reads. Paths are slash-separated and relative to
// Root, both in Paths and Skip and in the findings.
type Source struct {
	// Root is the project root. Staged and History read the whole
	// repository even when Root is a subfolder of it (a project in a
	// monorepo can leak into its neighbours), reporting paths outside Root
	// as ../ paths.
	Root string
	// Paths limits the scan to these files and folders; empty means all.
	Paths []string
	// Skip leaves a path out (a scanignore, say); nil leaves nothing out.
	// Whatever is inside an .envsafe folder is always left out.
	Skip func(path string) bool
	// Git lists and diffs files. Nil means Root is not in a git
	// repository: WorkTree then walks the folder, and Staged and History
	// fail.
	Git Git
	// MaxFileSize bounds a working-tree file WorkTree reads; larger ones
	// (generated data, not source) are listed in Result.TooBig instead.
	// 0 means no bound.
	MaxFileSize int64
	// Progress, if set, is called as History and Staged read each file
	// of each commit, with the commits and files read so far.
	Progress func(commits, files int)
}

// skip reports a path the scan leaves out.
func (src Source) skip(p string) bool {
	return IsEnvsafeFile(p) || src.ignored(p)
}

// ignored reports a path Skip leaves out. A plaintext .env file and what is
// in an .envsafe folder are never left out: a committed scanignore holding
// "*" must not turn off the one check that matters most, nor hide
// plaintext saved as an environment file.
func (src Source) ignored(p string) bool {
	return src.Skip != nil && !IsDotenvFile(p) && path.Base(path.Dir(p)) != envsafeDir && src.Skip(p)
}

// Result is what one scan found.
type Result struct {
	// Findings are sorted by commit, path, line and rule, so a report does
	// not change with the order in which files were read. Empty, never nil,
	// so that JSON shows [] rather than null.
	Findings []Finding `json:"findings"`
	// Scanned counts files (working tree) or changed files (staged,
	// history) that were read.
	Scanned int `json:"scanned"`
	// TooBig lists, sorted, the files left unread for being over
	// Source.MaxFileSize.
	TooBig []string `json:"-"`
	// Ignored lists, sorted, the files Source.Skip left out, so that a
	// scanignore cannot hide what it hides.
	Ignored []string `json:"ignored"`
	// Unread lists, sorted, changed files whose content was not scanned:
	// binary to git in history, or staged and over the size bound.
	Unread []string `json:"unread"`
}

// noteIgnored records p in Ignored once; finish sorts the list.
func (r *Result) noteIgnored(p string) {
	if !slices.Contains(r.Ignored, p) {
		r.Ignored = append(r.Ignored, p)
	}
}

// Files counts the distinct files with findings, a file in two commits
// counting twice: each is a place someone has to clean up.
func (r Result) Files() int {
	files := map[string]bool{}
	for _, f := range r.Findings {
		files[f.Commit+"\x00"+f.Path] = true
	}
	return len(files)
}

// WorkTree scans the files under src.Root. In git it reads the files git
// tracks or does not ignore, plus any file named in src.Paths even if git
// ignores it; outside git it walks the folders, leaving out .git. A
// plaintext .env file is itself a finding.
func (s *Scanner) WorkTree(src Source) (Result, error) {
	r := Result{Findings: []Finding{}}
	var files []string
	if src.Git != nil {
		listed, err := listGitFiles(src)
		if err != nil {
			return Result{}, err
		}
		for _, p := range listed {
			if IsDotenvFile(p) && !src.skip(p) {
				r.Findings = append(r.Findings, Finding{Path: p, Rule: RuleDotenvFile, Description: describeDotenv(p, "plaintext .env file that git tracks or does not ignore")})
			}
		}
		files = append(listed, namedFiles(src, listed)...)
	} else {
		walked, err := walkFolder(src)
		if err != nil {
			return Result{}, err
		}
		for _, p := range walked {
			if IsDotenvFile(p) && !src.skip(p) {
				r.Findings = append(r.Findings, Finding{Path: p, Rule: RuleDotenvFile, Description: describeDotenv(p, "plaintext .env file")})
			}
		}
		files = walked
	}
	s.scanFiles(src, files, &r)
	sortFindings(r.Findings)
	return r, nil
}

// listGitFiles lists, once each, the files git tracks or does not ignore.
func listGitFiles(src Source) ([]string, error) {
	args := append([]string{"-c", "core.quotePath=false", "ls-files", "-z", "--cached", "--others", "--exclude-standard"}, gitPathspecs(src.Paths)...)
	out, err := src.Git.Output(src.Root, args...)
	if err != nil {
		return nil, fmt.Errorf("listing files with git: %w", err)
	}
	seen := map[string]bool{}
	var files []string
	for _, p := range strings.Split(string(out), "\x00") {
		if p != "" && !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	return files, nil
}

// namedFiles returns the regular files named in src.Paths that git did not
// list: asking for a file by name means reading it, ignored or not.
func namedFiles(src Source, listed []string) []string {
	seen := map[string]bool{}
	for _, p := range listed {
		seen[p] = true
	}
	var named []string
	for _, p := range src.Paths {
		if fi, err := os.Lstat(filepath.Join(src.Root, filepath.FromSlash(p))); err == nil && fi.Mode().IsRegular() && !seen[p] {
			named = append(named, p)
		}
	}
	return named
}

// walkFolder lists the regular files under src.Paths (all of src.Root
// when empty), leaving out .git and .envsafe folders.
func walkFolder(src Source) ([]string, error) {
	starts := src.Paths
	if len(starts) == 0 {
		starts = []string{"."}
	}
	var files []string
	for _, start := range starts {
		err := filepath.WalkDir(filepath.Join(src.Root, filepath.FromSlash(start)), func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() {
				if e.Name() == ".git" {
					return filepath.SkipDir
				}
				return nil
			}
			if e.Type().IsRegular() {
				rel, _ := filepath.Rel(src.Root, p)
				files = append(files, filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}

// scanFiles reads and scans files on every core. A file that is gone, not
// regular (a symlink, a submodule), unreadable or binary is passed over
// without a word: the index can name files deleted since.
func (s *Scanner) scanFiles(src Source, files []string, r *Result) {
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		work    = make(chan string)
		workers = max(1, runtime.GOMAXPROCS(0))
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				full := filepath.Join(src.Root, filepath.FromSlash(p))
				fi, err := os.Lstat(full)
				if err != nil || !fi.Mode().IsRegular() {
					continue
				}
				if src.MaxFileSize > 0 && fi.Size() > src.MaxFileSize {
					mu.Lock()
					r.TooBig = append(r.TooBig, p)
					mu.Unlock()
					continue
				}
				data, err := os.ReadFile(full)
				if err != nil || IsBinary(data) {
					continue
				}
				t := Text{Path: p, Data: data}
				if IsEnvironmentFile(p) {
					t = withoutArmor(t)
				}
				found := s.Scan(t)
				mu.Lock()
				r.Scanned++
				r.Findings = append(r.Findings, found...)
				mu.Unlock()
			}
		}()
	}
	for _, p := range files {
		if src.ignored(p) && !IsEnvsafeFile(p) {
			r.noteIgnored(p)
		}
		if !src.skip(p) {
			work <- p
		}
	}
	close(work)
	wg.Wait()
	sort.Strings(r.TooBig)
	sort.Strings(r.Ignored)
}

// Staged scans the lines `git diff --cached` adds: what the next commit
// would bring in. A plaintext .env file staged is itself a finding.
func (s *Scanner) Staged(src Source) (Result, error) {
	return s.diff(src, false)
}

// History scans every line ever added on any branch (`git log -p --all`),
// reporting each finding with its commit. A secret removed since is still
// in every clone, so it is still a finding.
func (s *Scanner) History(src Source) (Result, error) {
	return s.diff(src, true)
}

// diff reads the lines that `git diff --cached` or `git log -p` add, in
// the whole repository, showing paths relative to src.Root.
func (s *Scanner) diff(src Source, history bool) (Result, error) {
	if src.Git == nil {
		return Result{}, fmt.Errorf("%s is not inside a git repository", src.Root)
	}
	out, err := src.Git.Output(src.Root, "rev-parse", "--show-toplevel", "--show-prefix")
	if err != nil {
		return Result{}, fmt.Errorf("finding the git work tree: %w", err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	top, prefix := strings.TrimSpace(lines[0]), ""
	if len(lines) > 1 {
		prefix = strings.TrimSuffix(strings.TrimSpace(lines[1]), "/")
	}
	fromTop := make([]string, len(src.Paths))
	for i, p := range src.Paths {
		fromTop[i] = path.Join(prefix, p)
	}
	args := []string{"-c", "core.quotePath=false", "diff", "--cached"}
	desc, what := "plaintext .env file staged for commit", "staged changes"
	if history {
		// --full-history: with paths named, git would otherwise skip a
		// side branch whose merge left those paths as the other parent had
		// them, and a secret added and removed on that branch with it.
		args = []string{"-c", "core.quotePath=false", "log", "-p", "--all", "--full-history", "--no-show-signature", "--format=" + CommitFormat}
		desc, what = "plaintext .env file committed", "history"
	}
	args = append(args, "-U0", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", "--src-prefix=a/", "--dst-prefix=b/")
	args = append(args, diffPathspecs(fromTop)...)
	r := Result{Findings: []Finding{}}
	seen := map[string]bool{}
	var binary [][2]string // staged files git shows as binary: from the top, as shown
	commits, files, last := 0, 0, ""
	err = src.Git.Stream(top, args, func(out io.Reader) error {
		return ParseDiff(out, func(c Change) error {
			if src.Progress != nil {
				if c.Commit != last {
					commits, last = commits+1, c.Commit
				}
				files++
				src.Progress(commits, files)
			}
			if IsEnvsafeFile(c.Path) {
				return nil
			}
			if IsEnvironmentFile(c.Path) {
				c.Text = withoutArmor(c.Text)
			}
			c.Path = relativeTo(prefix, c.Path)
			if src.ignored(c.Path) && !c.Deleted {
				r.noteIgnored(c.Path)
			}
			if src.skip(c.Path) || c.Deleted {
				return nil
			}
			r.Scanned++
			if IsDotenvFile(c.Path) && !seen[c.Commit+"\x00"+c.Path] {
				seen[c.Commit+"\x00"+c.Path] = true
				r.Findings = append(r.Findings, Finding{Commit: c.Commit, Path: c.Path, Rule: RuleDotenvFile, Description: describeDotenv(c.Path, desc)})
			}
			switch {
			case !c.Binary:
				r.Findings = append(r.Findings, s.Scan(c.Text)...)
			case history:
				r.Unread = append(r.Unread, c.Path)
			default:
				binary = append(binary, [2]string{path.Join(prefix, c.Path), c.Path})
			}
			return nil
		})
	})
	if err != nil {
		return Result{}, fmt.Errorf("reading git %s: %w", what, err)
	}
	// git shows no lines for what it takes for binary (a NUL byte, UTF-16,
	// a -diff attribute): the staged blob itself is read and scanned.
	for _, b := range binary {
		data, err := src.Git.Output(top, "cat-file", "blob", ":"+b[0])
		if err != nil || int64(len(data)) > maxBlob(src) {
			r.Unread = append(r.Unread, b[1])
			continue
		}
		r.Findings = append(r.Findings, s.Scan(Text{Path: b[1], Data: data})...)
	}
	sort.Strings(r.Unread)
	sortFindings(r.Findings)
	sort.Strings(r.Ignored)
	return r, nil
}

// relativeTo turns a path from the top of the work tree into one from the
// project's folder prefix (itself from the top): ../web/conf.js for a
// neighbour, so the user can open what is reported from where they are.
func relativeTo(prefix, p string) string {
	if prefix == "" {
		return p
	}
	if rel, err := filepath.Rel(filepath.FromSlash(prefix), filepath.FromSlash(p)); err == nil {
		return filepath.ToSlash(rel)
	}
	return p
}

// diffPathspecs limits git diff and git log to the paths asked for. With
// none it gives no pathspec at all, not gitPathspecs' "." and excludes:
// the envsafe files a scan leaves out are dropped as the diff is read
// (IsEnvsafeFile), and any pathspec makes git match every path of every
// commit against it (the exclude globs took git log from 0.50 to 1.13 s on
// a 10,000-commit history, bench/scan.sh).
func diffPathspecs(paths []string) []string {
	if len(paths) == 0 {
		return nil
	}
	args := []string{"--"}
	for _, p := range paths {
		args = append(args, ":(literal)"+p)
	}
	return args
}

// gitPathspecs limits a git command to the paths asked for, taken
// literally (a file may be named "*"), and never into .envsafe folders.
func gitPathspecs(paths []string) []string {
	args := []string{"--"}
	if len(paths) == 0 {
		args = append(args, ".")
	}
	for _, p := range paths {
		args = append(args, ":(literal)"+p)
	}
	// Only what IsEnvsafeFile leaves out; environment files are read
	// without their armor, team.yaml and scanignore like any file.
	for _, own := range []string{"team.sig", "team.sig.pending", ".gitignore"} {
		args = append(args, ":(exclude,glob)**/"+envsafeDir+"/"+own)
	}
	return args
}

// sortFindings orders findings by commit, path, line and rule. The sort is
// stable: findings on the same line under the same rule (two secret
// values) keep the order the Scanner gave them.
func sortFindings(fs []Finding) {
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

// maxBlob bounds a staged blob read whole: MaxFileSize, or 32 MiB.
func maxBlob(src Source) int64 {
	if src.MaxFileSize > 0 {
		return src.MaxFileSize
	}
	return 32 << 20
}
