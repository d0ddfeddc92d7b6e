package commands

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"

	"github.com/envsafe/envsafe/internal/dotenv"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/urfave/cli/v2"
)

func newEditCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "edit",
		Usage: "edit an environment as dotenv text in your editor",
		Description: `Opens the decrypted environment in $VISUAL, else $EDITOR, else vi, from a
private temporary folder (mode 0700, file 0600; in /dev/shm on Linux, so in
memory) that is removed when envsafe ends, including on SIGINT and SIGTERM.
Save and quit to encrypt the changes. A line envsafe cannot read reopens the
editor with the problem noted at the top and your text kept; an unchanged
file writes nothing; an editor that exits with an error writes nothing.
GUI editors must wait for the file to close: EDITOR="code --wait",
"subl -w", "gedit -s". After a git merge conflict, edit shows the other
side's value beside each conflicting secret: keep the line you want.

Examples:
   envsafe edit
   EDITOR=nano envsafe edit -e production`,
		Flags: []cli.Flag{envFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("edit", "edit takes no arguments, got %q", c.Args().First())
			}
			return runEdit(c.Context, d, c.String("env"))
		},
	}
}

const editHeader = `# envsafe edit: %s (%d secrets). Save and quit to encrypt; quit without
# saving to change nothing. NAME=value lines, as in a .env file: quote values
# that contain # or line breaks, or begin or end with spaces.
`

const editErrorPrefix = "# envsafe error: "

func runEdit(ctx context.Context, d *Deps, envFlag string) error {
	s, env, id, err := d.open(ctx, envFlag)
	if err != nil {
		return err
	}
	p, err := s.Read(env, id.Identity)
	if err != nil {
		return err
	}
	text, hidden := editText(p, env)
	dir, err := privateDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, env+".env")
	edited, err := editLoop(d, file, text, env)
	if err != nil {
		return err
	}
	if edited == nil {
		d.say("No changes; %s left as it was.", env)
		return nil
	}
	return applyEdit(context.WithoutCancel(ctx), d, s, env, id, p, edited, hidden)
}

// editText renders the payload for the editor. Values no dotenv quoting can
// carry are left out (and kept as they are), with a note naming them.
func editText(p *payload.Payload, env string) ([]byte, []string) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, editHeader, env, len(p.Secrets))
	pairs := make([]dotenv.Pair, 0, len(p.Secrets))
	for _, name := range p.Names() {
		pairs = append(pairs, dotenv.Pair{Name: name, Value: p.Secrets[name].Value})
	}
	var hidden []string
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

// privateDir makes a folder only this user can enter, in memory where the
// OS offers it.
func privateDir() (string, error) {
	base := os.TempDir()
	if runtime.GOOS == "linux" {
		if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
			base = "/dev/shm"
		}
	}
	dir, err := os.MkdirTemp(base, "envsafe-edit-")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// editLoop runs the editor until the text parses. It returns nil when the
// user changed nothing.
func editLoop(d *Deps, file string, text []byte, env string) ([]dotenv.Pair, error) {
	original := text
	for {
		if err := os.WriteFile(file, text, 0o600); err != nil {
			return nil, err
		}
		if err := runEditor(d, file); err != nil {
			return nil, err
		}
		saved, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		if bytes.Equal(saved, original) {
			return nil, nil
		}
		if bytes.Equal(saved, text) {
			return nil, errors.New("the editor closed without changes after an error; nothing written")
		}
		userText := stripEditErrors(saved)
		pairs, err := dotenv.Parse(env+".env", userText)
		if err == nil {
			return pairs, nil
		}
		d.say("envsafe: %v — reopening the editor", err)
		text = withEditError(userText, err)
	}
}

// stripEditErrors removes the error notes envsafe put at the top.
func stripEditErrors(text []byte) []byte {
	for bytes.HasPrefix(text, []byte(editErrorPrefix)) {
		i := bytes.IndexByte(text, '\n')
		if i < 0 {
			return nil
		}
		text = text[i+1:]
	}
	return text
}

// withEditError puts the parse error above the user's text, pointing at
// the line as it will be numbered in the reopened file.
func withEditError(userText []byte, err error) []byte {
	const noteLines = 2
	msg := err.Error()
	var pe *dotenv.ParseError
	if errors.As(err, &pe) && pe.Line > 0 {
		msg = fmt.Sprintf("line %d: %s", pe.Line+noteLines, pe.Reason)
	}
	var buf bytes.Buffer
	buf.WriteString(editErrorPrefix + msg + "\n")
	buf.WriteString(editErrorPrefix + "fix it, save and quit (these two lines are removed); quit without saving to give up\n")
	buf.Write(userText)
	return buf.Bytes()
}

// runEditor starts $VISUAL or $EDITOR on file, on the user's terminal.
// SIGINT belongs to the editor (Ctrl-C inside vi is a key); SIGTERM and
// SIGHUP sent to envsafe are passed on to the editor and end the edit.
func runEditor(d *Deps, file string) error {
	editor := d.getenv("VISUAL")
	if editor == "" {
		editor = d.getenv("EDITOR")
	}
	if editor == "" {
		editor = "vi"
	}
	argv, err := splitCommand(editor)
	if err != nil || len(argv) == 0 {
		return fmt.Errorf("cannot understand the editor command %q", editor)
	}
	cmd := exec.Command(argv[0], append(argv[1:], file)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = d.Stdin, d.Stderr, d.Stderr
	if f, ok := d.Stdout.(*os.File); ok && d.StdoutIsTTY {
		cmd.Stdout = f
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(stop)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the editor %q: %w (set VISUAL or EDITOR)", argv[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("the editor exited with an error (%v); nothing written", err)
		}
		return nil
	case sig := <-stop:
		cmd.Process.Signal(syscall.SIGTERM)
		<-done
		return fmt.Errorf("%w: %v during the edit; nothing written", context.Canceled, sig)
	}
}

// splitCommand splits an editor setting such as `code --wait` or
// `"/Applications/My Editor/bin/ed" -w` into words, honouring quotes.
func splitCommand(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, quote := false, rune(0)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errors.New("unterminated quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// applyEdit writes only what the user changed, so a concurrent change to
// another secret is not undone. Keeping, changing or deleting a conflicting
// secret's line settles its conflict.
func applyEdit(ctx context.Context, d *Deps, s *store.Store, env string, id *identity.Resolved, before *payload.Payload, edited []dotenv.Pair, hidden []string) error {
	after := make(map[string]string, len(edited))
	for _, pr := range edited {
		after[pr.Name] = pr.Value
	}
	var set, removed []string
	added := 0
	for _, pr := range edited {
		old, stored := before.Secrets[pr.Name]
		_, conflicted := before.Conflicts[pr.Name]
		if !stored && !conflicted {
			added++
		}
		if !stored || old.Value != pr.Value || conflicted {
			set = append(set, pr.Name)
		}
	}
	for _, name := range append(before.Names(), before.ConflictNames()...) {
		if _, kept := after[name]; !kept && !slices.Contains(hidden, name) && !slices.Contains(removed, name) {
			removed = append(removed, name)
		}
	}
	if len(set) == 0 && len(removed) == 0 {
		d.say("No changes; %s left as it was.", env)
		return nil
	}
	_, err := s.Update(ctx, env, id.Identity, func(p *payload.Payload) error {
		for _, name := range set {
			p.Set(name, after[name], d.Now())
		}
		for _, name := range removed {
			p.Delete(name)
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.say("Saved %s: %d added, %d changed, %d removed.", env, added, len(set)-added, len(removed))
	return nil
}
