package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/envsafe/envsafe/internal/identity"

	"github.com/urfave/cli/v2"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/scan"
	"github.com/envsafe/envsafe/internal/store"
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
	// noValues skips loading this project's values: for a contributor
	// who is not a member, said explicitly rather than inferred.
	noValues bool
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
			&cli.BoolFlag{Name: "no-values", Usage: "do not load this project's secret values (for a contributor who is not a member)"},
		},
		Action: func(c *cli.Context) error {
			if c.Bool("staged") && c.Bool("history") {
				return usagef("scan", "choose one of --staged and --history")
			}
			return runScan(c.Context, d, scanOpts{paths: c.Args().Slice(), staged: c.Bool("staged"), history: c.Bool("history"), json: c.Bool("json"), noValues: c.Bool("no-values")})
		},
	}
}

// scanReport is what --json prints: the findings and what was read, then
// what was looked for.
type scanReport struct {
	scan.Result
	// Values is how many distinct secret values were looked for.
	Values int `json:"values"`
	// Unchecked lists environments whose values could not be looked for
	// because this identity is not one of their readers.
	Unchecked []string `json:"unchecked_environments"`
	// NotChecked lists environments whose values should have been looked
	// for and could not be loaded: the scan fails.
	NotChecked []string `json:"not_checked_environments"`
}

func runScan(ctx context.Context, d *Deps, o scanOpts) error {
	root, s := d.Dir, (*store.Store)(nil)
	switch found, err := d.project(audited("scan")); {
	case err == nil:
		root, s = found.Root(), found
	case !errors.Is(err, store.ErrNoProject):
		return err // an unsafe project folder must not turn into "no project"
	}
	src := scan.Source{Root: root, MaxFileSize: maxScanFile}
	if d.Git != nil && scan.InRepo(scanGit{d}, root) {
		src.Git = scanGit{d}
	}
	if (o.staged || o.history) && src.Git == nil {
		return hint.With(fmt.Errorf("%s is not inside a git repository", root), "without --staged or --history, scan reads the files here")
	}
	var err error
	if src.Paths, err = scanPathspecs(d, root, o.paths); err != nil {
		return err
	}
	r := scanReport{Unchecked: []string{}, NotChecked: []string{}}
	values := scan.NewValues()
	var idErr error
	// In a monorepo every project's values are looked for: a secret of
	// apps/api leaks as badly from apps/web.
	projects, err := d.projects(audited("scan"))
	if err != nil && !errors.Is(err, store.ErrNoProject) {
		return err
	}
	if len(projects) > 0 && !o.noValues {
		var vc valueCheck
		for _, p := range projects {
			label := ""
			if len(projects) > 1 {
				label = projectLabel(p)
			}
			vc.add(collectValues(ctx, d, p, values, label))
		}
		idErr = vc.idErr
		r.Unchecked = append(r.Unchecked, vc.unreadable...)
		r.NotChecked = append(r.NotChecked, vc.failed...)
		if len(projects) > 1 {
			d.say("Values of %s looked for.", plural(len(projects), "project"))
		}
		if len(vc.unreadable) > 0 {
			d.say("Values of %s not checked (you cannot decrypt them).", strings.Join(vc.unreadable, ", "))
		}
		if len(vc.common) > 0 {
			d.say("Not searched for, too common to be secrets: %s.", strings.Join(vc.common, ", "))
		}
	} else if len(projects) == 0 {
		d.warn("not inside an envsafe project: looking for credential shapes and .env files only")
	}
	if s != nil {
		if data, err := os.ReadFile(filepath.Join(s.Dir(), ScanIgnoreFile)); err == nil {
			src.Skip = scan.ParseIgnore(data).Match
		}
	}
	r.Values = values.Len()
	scanner := scan.New(values)
	read := scanner.WorkTree
	if o.staged {
		read = scanner.Staged
	} else if o.history {
		read = scanner.History
	}
	var pr *progress
	if o.history {
		// A large repository takes a while: on a terminal, show how far
		// the scan has got.
		if pr = d.progress(); pr != nil {
			src.Progress = func(commits, files int) {
				pr.show("scanning history: %d commits, %d changed files", commits, files)
			}
		}
	}
	r.Result, err = read(src)
	pr.done()
	if err != nil {
		return err
	}
	if len(r.TooBig) > 0 {
		d.say("Skipped (over %d MiB): %s.", maxScanFile>>20, strings.Join(r.TooBig, ", "))
	}
	if len(r.Unread) > 0 {
		d.say("Not scanned (binary to git, or too large): %s.", summarize(r.Unread, 10))
	}
	if len(r.Ignored) > 0 {
		d.say("Skipped by %s/%s: %s.", store.DirName, ScanIgnoreFile, summarize(r.Ignored, 10))
	}
	if o.json {
		if err := writeJSON(d, r); err != nil {
			return err
		}
	} else {
		printFindings(d.Stdout, r.Findings)
	}
	what := map[bool]string{true: "changed file", false: "file"}[o.staged || o.history]
	if len(r.Findings) == 0 && len(r.NotChecked) > 0 {
		err := fmt.Errorf("NOT CHECKED: the secret values of %s could not be loaded, so copies of them were not looked for (%s read for credential shapes only)",
			strings.Join(r.NotChecked, ", "), plural(r.Scanned, what))
		if idErr != nil {
			err = fmt.Errorf("%w: %w", identity.ErrNoIdentity, err) // exit 4, as every command that decrypts
		}
		return hint.With(hint.With(err,
			"make your identity available (unlock the keychain, or set ENVSAFE_IDENTITY_FILE) and run the scan again"),
			"not a member of this project? `envsafe scan --no-values` looks for credential shapes and .env files only")
	}
	if len(r.Findings) == 0 {
		d.say("No secrets found (%s, %s checked).", plural(r.Scanned, what), plural(r.Values, "secret value"))
		return nil
	}
	if len(r.NotChecked) > 0 {
		d.warn("NOT CHECKED: the secret values of %s could not be loaded", strings.Join(r.NotChecked, ", "))
	}
	err = &findingsError{summary: fmt.Sprintf("scan: %s in %s", plural(len(r.Findings), "finding"), plural(r.Files(), "file"))}
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

// printFindings writes one line per finding, in the form Finding.String
// gives.
func printFindings(w io.Writer, fs []scan.Finding) {
	for _, f := range fs {
		fmt.Fprintln(w, f)
	}
}
