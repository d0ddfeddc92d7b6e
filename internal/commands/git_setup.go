package commands

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/envsafe/envsafe/internal/atomicfile"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/shellquote"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/urfave/cli/v2"
)

// gitAttributesLine routes environment files to the drivers; -text keeps
// git from converting their line endings (core.autocrlf on Windows would
// otherwise make every file read as damaged).
const gitAttributesLine = store.DirName + "/*.age -text diff=envsafe merge=envsafe"

// oldGitAttributesLine is what earlier versions wrote; setup replaces it.
const oldGitAttributesLine = store.DirName + "/*.age diff=envsafe merge=envsafe"

// trustAttributesLine routes the signed roster to its own merge driver,
// which takes the side that extends the other and never mixes two rosters.
const trustAttributesLine = store.DirName + "/" + store.TeamSigFile + " -text merge=envsafe-trust"

func newGitSetupCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "setup",
		Usage: "install envsafe's git diff and merge drivers in this clone",
		Description: `Adds "` + gitAttributesLine + `" to .gitattributes beside
.envsafe/ (commit it once for the team) and sets, in this clone's .git/config:
   diff.envsafe.textconv, diff.envsafe.cachetextconv=false (decrypted text is
   never cached), merge.envsafe.driver and merge.envsafe.name.
Each teammate runs it once per clone. Running it again changes nothing.

Examples:
   envsafe git setup && git add .gitattributes && git commit -m "envsafe drivers"`,
		Action: func(c *cli.Context) error {
			return runGitSetup(c.Context, d)
		},
	}
}

func runGitSetup(_ context.Context, d *Deps) error {
	s, err := d.project(audited("git setup"))
	if err != nil {
		return err
	}
	if _, err := d.Git(s.Root(), "rev-parse", "--git-dir"); err != nil {
		return hint.With(fmt.Errorf("%s is not inside a git repository", s.Root()), "run `git init` first")
	}
	attrs := filepath.Join(s.Root(), ".gitattributes")
	added, err := ensureLine(attrs, gitAttributesLine, oldGitAttributesLine)
	if err != nil {
		return err
	}
	if _, err := ensureLine(attrs, trustAttributesLine, ""); err != nil {
		return err
	}
	// git runs both drivers through sh: the path is quoted, or a space in
	// it would split the command and break every diff and merge.
	self := shellquote.Quote(d.SelfCommand())
	settings := [][2]string{
		{"diff.envsafe.textconv", self + " git textconv"},
		{"diff.envsafe.cachetextconv", "false"},
		{"merge.envsafe.name", "envsafe: three-way merge by secret name"},
		// git expands %X in the driver line (a path may hold %A) and reads %% as %.
		{"merge.envsafe.driver", strings.ReplaceAll(self, "%", "%%") + " git merge-driver %O %A %B %P"},
		{"merge.envsafe-trust.name", "envsafe: signed roster (the side that extends the other)"},
		{"merge.envsafe-trust.driver", strings.ReplaceAll(self, "%", "%%") + " git merge-trust %O %A %B %P"},
	}
	changed := 0
	for _, kv := range settings {
		current, _ := d.Git(s.Root(), "config", "--local", "--get", kv[0])
		if strings.TrimSpace(string(current)) == kv[1] {
			continue
		}
		if out, err := d.Git(s.Root(), "config", "--local", kv[0], kv[1]); err != nil {
			return fmt.Errorf("git config %s: %w: %s", kv[0], err, bytes.TrimSpace(out))
		}
		changed++
	}
	switch {
	case added:
		d.say("Added %q to .gitattributes: commit it so every clone uses the drivers.", gitAttributesLine)
	default:
		d.say(".gitattributes already routes %s/*.age to envsafe.", store.DirName)
	}
	if changed > 0 {
		d.say("Configured the envsafe diff and merge drivers in this clone (%d settings).", changed)
	} else {
		d.say("The envsafe diff and merge drivers were already configured in this clone.")
	}
	return nil
}

// ensureLine appends line to a text file unless it already has it, or
// puts it in place of the line replaces (an older form of it).
func ensureLine(path, line, replaces string) (bool, error) {
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return false, err
	}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for i, l := range lines {
		switch strings.TrimSpace(l) {
		case line:
			return false, nil
		case replaces:
			if replaces == "" {
				continue
			}
			lines[i] = line
			return true, atomicfile.Write(path, []byte(strings.Join(lines, "\n")), 0o644)
		}
	}
	if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
		data = append(data, '\n')
	}
	data = append(data, line+"\n"...)
	return true, atomicfile.Write(path, data, 0o644)
}
