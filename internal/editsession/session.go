// Package editsession is the round trip of an environment through the
// user's own editor (`envsafe edit`): the secrets rendered as dotenv text, a
// private folder for the plaintext (in memory where the OS offers it), the
// editor started the way git starts it, the editor reopened until the text
// parses, and the changes read back. It exists so that the one place where
// envsafe writes decrypted secrets to a file is small, tested, and cleans up
// after itself: on return, on SIGTERM, SIGHUP and SIGQUIT, and, after a
// SIGKILL, at the start of the next session.
package editsession

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/envsafe/envsafe/internal/atomicfile"
	"github.com/envsafe/envsafe/internal/dotenv"
	"github.com/envsafe/envsafe/internal/hint"
)

// Session is one edit: which editor, with which environment and terminal,
// and where the private folder goes.
type Session struct {
	// Editor is $VISUAL or $EDITOR as the user set it: shell words, quoted
	// the shell way, such as `code --wait` or `"/opt/My Editor/ed" -w`. ""
	// means vi (Notepad on Windows).
	Editor string
	// Environ is the environment the editor inherits. envsafe's own key
	// (ENVSAFE_IDENTITY, ENVSAFE_IDENTITY_FILE) is always removed from it.
	Environ []string
	// Stdin, Stdout and Stderr are the editor's terminal. Stderr also gets
	// envsafe's note when a parse error reopens the editor.
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Base is the folder the private folder is made in. "" picks /dev/shm
	// on Linux (memory, never swapped to a file system) and os.TempDir()
	// elsewhere; tests set their own.
	Base string
}

// endSignals end an edit: the editor is told (SIGTERM), nothing is written,
// the private folder is removed, and Edit returns. SIGINT is not among them:
// Ctrl-C inside an editor is a key, and the terminal sends it to envsafe too.
// SIGQUIT (Ctrl-\) would otherwise kill envsafe with a goroutine dump and
// leave the decrypted file behind.
var endSignals = []os.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// errorPrefix starts each note envsafe puts above the user's text after a
// parse error; the lines are removed again before the next parse.
const errorPrefix = "# envsafe error: "

// Edit opens text, named env+".env", in the editor until what the user saves
// parses as dotenv, and returns the parsed pairs. changed is false when the
// user saved nothing different (then pairs is nil and nothing should be
// written). A signal in endSignals ends the edit with an error wrapping
// context.Canceled. Before anything else, folders left by sessions whose
// process has died (SIGKILL, power loss) are removed.
func (s *Session) Edit(env string, text []byte) (pairs []dotenv.Pair, changed bool, err error) {
	// Registered before the folder exists and stopped after it is gone, so
	// no signal in endSignals can end envsafe while plaintext is on disk.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, endSignals...)
	defer signal.Stop(sigs)
	base := s.Base
	if base == "" {
		base = defaultBase()
	}
	removeStale(base)
	dir, err := makePrivateDir(base)
	if err != nil {
		return nil, false, err
	}
	defer s.removeDir(dir, removeWaits)
	return s.loop(filepath.Join(dir, env+".env"), env, text, sigs)
}

// loop runs the editor until the text parses.
func (s *Session) loop(file, env string, text []byte, sigs <-chan os.Signal) ([]dotenv.Pair, bool, error) {
	original := text
	for {
		if err := atomicfile.Write(file, text, 0o600); err != nil {
			return nil, false, err
		}
		if err := s.runEditor(file, sigs); err != nil {
			return nil, false, err
		}
		saved, err := os.ReadFile(file)
		if err != nil {
			return nil, false, err
		}
		if bytes.Equal(saved, original) {
			return nil, false, nil
		}
		if bytes.Equal(saved, text) {
			return nil, false, errors.New("the editor closed without changes after an error; nothing written")
		}
		userText := stripErrors(saved)
		pairs, err := dotenv.Parse(env+".env", userText)
		if err == nil {
			return pairs, true, nil
		}
		// A *dotenv.ParseError names the file and line, never the content.
		fmt.Fprintf(s.Stderr, "envsafe: %v — reopening the editor\n", err)
		text = withError(userText, err)
	}
}

// removeWaits are the pauses between attempts to remove the private folder:
// Windows refuses to delete a file another program has open (an editor
// that has not let go yet, a virus scanner), and such holds are short.
var removeWaits = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond}

// removeDir removes the private folder, trying again after each pause in
// waits; if it is still there, the user is told where it is and how to
// delete it, since it holds the decrypted environment.
func (s *Session) removeDir(dir string, waits []time.Duration) error {
	err := removeTree(dir)
	for _, wait := range waits {
		if err == nil {
			return nil
		}
		time.Sleep(wait)
		err = removeTree(dir)
	}
	if err != nil {
		fmt.Fprintf(s.Stderr, "envsafe: warning: could not remove %s, which holds the decrypted environment: %v\n", dir, err)
		fmt.Fprintf(s.Stderr, "envsafe: hint: close the program that holds it open, then delete it: %s\n", hint.DeleteFolder(dir))
	}
	return err
}

// removeTree is os.RemoveAll, then, if that failed, the files one by one
// with os.Remove (DeleteFile on Windows). Since Go 1.25 RemoveAll deletes
// through FileDispositionInformationEx on Windows and falls back only on
// the errors Windows gives where that is missing; wine 8 (the test lane)
// and some third-party file systems answer "Invalid function" instead.
func removeTree(dir string) error {
	err := os.RemoveAll(dir)
	if err == nil {
		return nil
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() {
			removeTree(p)
		} else {
			os.Remove(p)
		}
	}
	if os.Remove(dir) == nil {
		return nil
	}
	if _, statErr := os.Lstat(dir); errors.Is(statErr, os.ErrNotExist) {
		return nil
	}
	return err
}

// stripErrors removes the error notes envsafe put at the top.
func stripErrors(text []byte) []byte {
	for bytes.HasPrefix(text, []byte(errorPrefix)) {
		i := bytes.IndexByte(text, '\n')
		if i < 0 {
			return nil
		}
		text = text[i+1:]
	}
	return text
}

// withError puts the parse error above the user's text, pointing at the
// line as it will be numbered in the reopened file.
func withError(userText []byte, err error) []byte {
	const noteLines = 2
	msg := err.Error()
	var pe *dotenv.ParseError
	if errors.As(err, &pe) && pe.Line > 0 {
		msg = fmt.Sprintf("line %d: %s", pe.Line+noteLines, pe.Reason)
	}
	var buf bytes.Buffer
	buf.WriteString(errorPrefix + msg + "\n")
	buf.WriteString(errorPrefix + "fix it, save and quit (these two lines are removed); quit without saving to give up\n")
	buf.Write(userText)
	return buf.Bytes()
}

// canceled is the error for a signal that ended the edit; it wraps
// context.Canceled so the CLI reports an interruption (exit 130).
func canceled(sig os.Signal) error {
	return fmt.Errorf("%w: %v during the edit; nothing written", context.Canceled, sig)
}
