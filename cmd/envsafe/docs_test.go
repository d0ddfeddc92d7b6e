package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/rogpeppe/go-internal/testscript"
)

// The documents whose shell blocks TestDocs runs, in this order; every
// examples/*/README.md is added to them.
var docFiles = []string{"README.md"}

// docBlock is one fenced block of a document and what the comments just
// above it say about running it:
//
//	<!-- docs-test: skip REASON -->     not run here (a package install...)
//	<!-- docs-test: given SHELL -->     what the prose says the reader already
//	                                     has (a project with a .env), run first
//	<!-- docs-test: then SHELL -->      checks run after the block
//	<!-- docs-test: without CMD... -->  lines starting with CMD are not run
//	                                     (no Docker engine here)
//	<!-- docs-test: after-each-line SHELL --> what the reader's shell does at
//	                                     each prompt (direnv's hook)
//	<!-- docs-test: append-to FILE -->  a YAML or other block the reader adds
//	                                     to FILE (relative to the folder)
//	<!-- docs-test: needs TOOL... -->   run only where TOOL is installed (CI
//	                                     requires them all: sops, dotenvx)
//	<!-- docs-test: keychain -->        needs the reader's key in the keychain
//	                                     (the rest of the document is skipped
//	                                     where there is none)
//	<!-- docs-test: typed WORD... -->   the block runs on a terminal, where
//	                                     the reader answers its prompts, one
//	                                     word each
type docBlock struct {
	line                      int
	lang, body                string
	skip, given, then, prompt string
	typed, appendTo           string
	keychain                  bool
	needs                     []string
	without                   []string
}

var (
	fenceRE     = regexp.MustCompile("^```([A-Za-z]*)\\s*$")
	directiveRE = regexp.MustCompile(`(?s)^<!-- docs-test: ([a-z-]+)\s*(.*?)\s*-->$`)
)

// docBlocks reads the fenced blocks of a Markdown document with their
// directives. Fences indented in a list item are read too.
func docBlocks(doc string) ([]docBlock, error) {
	var blocks []docBlock
	var pending docBlock
	var comment []string
	sc := bufio.NewScanner(strings.NewReader(doc))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if comment != nil || strings.HasPrefix(line, "<!-- docs-test:") {
			comment = append(comment, sc.Text())
			if !strings.HasSuffix(line, "-->") {
				continue
			}
			m := directiveRE.FindStringSubmatch(strings.Join(comment, "\n"))
			comment = nil
			if m == nil {
				return nil, fmt.Errorf("line %d: unreadable docs-test comment", n)
			}
			switch m[1] {
			case "skip":
				pending.skip = m[2]
			case "given":
				pending.given += m[2] + "\n"
			case "then":
				pending.then += m[2] + "\n"
			case "without":
				pending.without = append(pending.without, strings.Fields(m[2])...)
			case "append-to":
				pending.appendTo = m[2]
			case "keychain":
				pending.keychain = true
			case "needs":
				pending.needs = append(pending.needs, strings.Fields(m[2])...)
			case "typed":
				// One answer per word: the answers to a block's prompts.
				pending.typed += strings.Join(strings.Fields(m[2]), "\n") + "\n"
			case "after-each-line":
				pending.prompt = m[2]
			default:
				return nil, fmt.Errorf("line %d: unknown docs-test directive %q", n, m[1])
			}
			continue
		}
		m := fenceRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		indent := len(sc.Text()) - len(strings.TrimLeft(sc.Text(), " "))
		b := pending
		pending = docBlock{}
		b.line, b.lang = n, m[1]
		var body strings.Builder
		closed := false
		for sc.Scan() {
			n++
			if strings.TrimSpace(sc.Text()) == "```" {
				closed = true
				break
			}
			body.WriteString(strings.TrimPrefix(sc.Text(), strings.Repeat(" ", indent)) + "\n")
		}
		if !closed {
			return nil, fmt.Errorf("line %d: block never closed", b.line)
		}
		b.body = body.String()
		blocks = append(blocks, b)
	}
	return blocks, sc.Err()
}

// docShells are the languages whose blocks are run, and with what.
var docShells = map[string]string{"sh": "bash", "bash": "bash", "zsh": "zsh", "fish": "fish", "powershell": "pwsh"}

// TestDocs runs every shell block of the README and the examples' READMEs
// as written, in order, in a scratch folder, with the real git and the
// envsafe under test: a document whose commands fail as shown fails here.
// A reader's placeholder public key (age1...) becomes a real one.
func TestDocs(t *testing.T) {
	if testing.Short() {
		// make race runs -short: the docs' terminal answers go through
		// promptui, whose cursor goroutine the race detector flags (a race
		// inside promptui v0.9.0, not envsafe's). make test runs them all.
		t.Skip("the documents run in `make test`, not in -short runs")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	examples, err := filepath.Glob(filepath.Join(repo, "examples", "*", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	files := docFiles
	for _, e := range examples {
		rel, _ := filepath.Rel(repo, e)
		files = append(files, rel)
	}
	dir := t.TempDir()
	for _, file := range files {
		data, err := os.ReadFile(filepath.Join(repo, file))
		if err != nil {
			t.Fatal(err)
		}
		blocks, err := docBlocks(string(data))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		script, err := docScript(file, blocks)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		name := strings.NewReplacer("/", "_", ".md", "").Replace(file) + ".txtar"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testscript.Run(t, scriptParams(dir, installDotenvx(t)))
}

// docScript turns a document's blocks into one testscript: each runnable
// block is a file run by docs/run in the folder the previous block ended in.
func docScript(file string, blocks []docBlock) (string, error) {
	var script, files strings.Builder
	fmt.Fprintf(&script, "# The shell blocks of %s, generated by TestDocs.\n", file)
	script.WriteString(docPreamble)
	if file == docKeychainFile {
		script.WriteString(docKeychain)
	} else {
		script.WriteString(docIdentityFile)
	}
	for i, b := range blocks {
		shell, ok := docShells[b.lang]
		if b.appendTo != "" {
			shell, ok = "bash", true
			b.body = fmt.Sprintf("cat >> %s <<'DOCS_EOF'\n%sDOCS_EOF\n", b.appendTo, b.body)
		}
		if !ok {
			continue
		}
		where := fmt.Sprintf("%s:%d", file, b.line)
		if b.keychain && file != docKeychainFile {
			return "", fmt.Errorf("line %d: only %s runs with the keychain", b.line, docKeychainFile)
		}
		if b.skip != "" {
			fmt.Fprintf(&script, "# %s: not run here: %s\n", where, b.skip)
			continue
		}
		body, err := docBody(b)
		if err != nil {
			return "", fmt.Errorf("line %d: %v", b.line, err)
		}
		if shell == "pwsh" {
			fmt.Fprintf(&script, "[exec:pwsh] exec pwsh -NoProfile -Command 'Set-Location (Get-Content $WORK/docs/cwd); . $WORK/docs/block%d.ps1'\n", i)
			fmt.Fprintf(&files, "-- docs/block%d.ps1 --\n%s", i, body)
			continue
		}
		fmt.Fprintf(&script, "\n# %s\n", where)
		if b.typed != "" {
			fmt.Fprintf(&script, "ttyin -stdin docs/typed%d\n", i)
			fmt.Fprintf(&files, "-- docs/typed%d --\n%s", i, b.typed)
		}
		if b.keychain {
			script.WriteString("[!keychain] skip 'the rest needs the keychain: run `make test`'\n")
		}
		for _, tool := range b.needs {
			if tool == "dotenvx" {
				script.WriteString("[dotenvx] ")
			} else {
				fmt.Fprintf(&script, "[exec:%s] ", tool)
			}
		}
		fmt.Fprintf(&script, "exec bash $WORK/docs/run %d %s %s\n", i, shell, where)
		fmt.Fprintf(&files, "-- docs/block%d --\n%s", i, body)
		if b.given != "" {
			fmt.Fprintf(&files, "-- docs/given%d --\n%s", i, b.given)
		}
		if b.then != "" {
			fmt.Fprintf(&files, "-- docs/then%d --\n%s", i, b.then)
		}
	}
	script.WriteString(files.String())
	script.WriteString(docRunner)
	return script.String(), nil
}

// docBody is the block as the reader types it, with placeholders filled in
// and the lines the directives leave out or add.
func docBody(b docBlock) (string, error) {
	var out strings.Builder
	for _, line := range strings.SplitAfter(b.body, "\n") {
		if line == "" {
			continue
		}
		for strings.Contains(line, "age1...") {
			id, err := age.GenerateX25519Identity()
			if err != nil {
				return "", err
			}
			line = strings.Replace(line, "age1...", id.Recipient().String(), 1)
		}
		fields := strings.Fields(line)
		if len(fields) > 0 && slices.Contains(b.without, fields[0]) {
			line = ": not run here: " + strings.TrimSpace(line) + "\n"
		}
		out.WriteString(line)
		if b.prompt != "" {
			out.WriteString(b.prompt + "\n")
		}
	}
	return out.String(), nil
}

// docPreamble is the reader's machine: git with a name, an editor that
// saves as is, a
// value for the "$TOKEN" the README pipes in, a bare remote to push to, and a
// fresh clone of envsafe's examples, where every document starts.
const docPreamble = `env EDITOR=true
env TOKEN=docs-token-0123456789
env GIT_AUTHOR_NAME=Reader
env GIT_AUTHOR_EMAIL=reader@example.com
env GIT_COMMITTER_NAME=Reader
env GIT_COMMITTER_EMAIL=reader@example.com
env NPM_CONFIG_UPDATE_NOTIFIER=false
env NPM_CONFIG_FUND=false
env XDG_CONFIG_HOME=$WORK/home/.config
env XDG_DATA_HOME=$WORK/home/.local/share
[dotenvx] exec sh -c 'mkdir -p $WORK/tools && ln -s $DOTENVX $WORK/tools/dotenvx'
env PATH=$WORK/tools${:}$PATH
exec git init -q --bare $WORK/remote.git
exec sh -c 'mkdir $WORK/clone && cp -R $REPO/examples $WORK/clone/ && echo $WORK/clone > $WORK/docs/cwd'
exec git -C $WORK/clone init -q
exec git -C $WORK/clone add -A
exec git -C $WORK/clone commit -qm 'A fresh clone of envsafe'
exec git -C $WORK/clone remote add origin $WORK/remote.git
exec git -C $WORK/clone push -q -u origin HEAD
`

// docKeychainFile is the document run with the reader's key in a real
// keychain, the way the README tells a newcomer: TestDocs runs after
// TestScripts, so keychain.txtar is done with it. The examples, run at the
// same time, use identity files.
const docKeychainFile = "README.md"

const docKeychain = `[keychain] env DBUS_SESSION_BUS_ADDRESS=$TEST_DBUS
[keychain] exec sh -c 'envsafe identity rm --yes || true'
[!keychain] env ENVSAFE_IDENTITY_FILE=$WORK/home/reader-key.txt
[!keychain] exec envsafe identity new --file $WORK/home/reader-key.txt
`

const docIdentityFile = `env ENVSAFE_IDENTITY_FILE=$WORK/home/reader-key.txt
exec envsafe identity new --file $WORK/home/reader-key.txt
`

// docRunner runs block N in the folder the previous block ended in: the
// block's given first, in the same shell, then the block, then its checks.
// Its variables are named so that a block's own (n, shell) cannot clobber
// them. Off a terminal, a block's stdin holds one line, what a hidden prompt would
// have been typed.
const docRunner = `-- docs/run --
docs_n=$1 docs_shell=$2 docs_where=$3
set -euo pipefail
cd "$(cat "$WORK/docs/cwd")"
if [ "$docs_shell" != bash ]; then
	[ ! -f "$WORK/docs/given$docs_n" ] || . "$WORK/docs/given$docs_n"
	"$docs_shell" "$WORK/docs/block$docs_n" < "$WORK/docs/stdin" || { echo "$docs_where failed" >&2; exit 1; }
	[ ! -f "$WORK/docs/then$docs_n" ] || . "$WORK/docs/then$docs_n"
	exit 0
fi
[ ! -f "$WORK/docs/given$docs_n" ] || . "$WORK/docs/given$docs_n"
if [ -f "$WORK/docs/typed$docs_n" ]; then
	. "$WORK/docs/block$docs_n"
else
	. "$WORK/docs/block$docs_n" < "$WORK/docs/stdin"
fi
[ ! -f "$WORK/docs/then$docs_n" ] || . "$WORK/docs/then$docs_n"
pwd > "$WORK/docs/cwd"
-- docs/stdin --
typed-at-the-prompt
`
