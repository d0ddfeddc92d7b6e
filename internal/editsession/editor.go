package editsession

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"

	"github.com/envsafe/envsafe/internal/runner"
)

// shellScript starts the editor the way git does (`sh -c '$EDITOR "$@"'`),
// so `code --wait` and `"/opt/My Editor/ed" -w` mean what they mean in a
// shell. The editor setting reaches sh in the EDITOR variable and is parsed
// by eval, never pasted into the script, and the file name is a positional
// parameter, never parsed at all. exec makes the editor the very process
// envsafe started, so the SIGTERM envsafe sends reaches the editor and not a
// shell that would die and leave it running.
const shellScript = `eval "exec $EDITOR"' "$@"'`

// shellName is $0 of that shell, which it names in its own error messages.
const shellName = "envsafe-editor"

// editorCommand builds the command that opens file in editor, and the name
// messages give the editor (not the shell that starts it). Windows has no
// sh, so there the setting is split into words (double and single quotes
// group) and run directly (a .bat or .cmd editor, such as VS Code's
// code.cmd, through cmd.exe with the file name quoted for it). goos is a parameter so both forms are tested
// everywhere.
func editorCommand(goos, editor, file string, environ []string) (cmd *exec.Cmd, name string, err error) {
	if editor == "" {
		editor = defaultEditor(goos)
	}
	env := runner.ChildEnviron(environ)
	if goos == "windows" {
		argv, err := splitCommand(editor)
		if err != nil || len(argv) == 0 {
			return nil, "", fmt.Errorf("cannot understand the editor command %q", editor)
		}
		cmd = exec.Command(argv[0], append(argv[1:], file)...)
		cmd.Env = env
		return cmd, argv[0], nil
	}
	cmd = exec.Command("/bin/sh", "-c", shellScript, shellName, file)
	cmd.Env = append(withoutVar(env, "EDITOR"), "EDITOR="+editor)
	return cmd, editor, nil
}

// defaultEditor is the editor when neither VISUAL nor EDITOR is set: vi,
// which every Unix has, and Notepad on Windows, which has no vi.
func defaultEditor(goos string) string {
	if goos == "windows" {
		return "notepad"
	}
	return "vi"
}

// withoutVar drops every NAME=... entry, so the value appended after it is
// the only one.
func withoutVar(env []string, name string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// runEditor starts the editor on file, on the user's terminal, and waits.
// SIGINT belongs to the editor (Ctrl-C inside vi is a key); a signal in
// endSignals sent to envsafe is passed on to the editor as SIGTERM and ends
// the edit.
func (s *Session) runEditor(file string, sigs <-chan os.Signal) error {
	select {
	case sig := <-sigs:
		return canceled(sig)
	default:
	}
	cmd, name, err := editorCommand(runtime.GOOS, s.Editor, file, s.Environ)
	if err != nil {
		return err
	}
	if runtime.GOOS == "windows" && runner.IsBatch(cmd.Path) {
		// `code --wait` is code.cmd: cmd.exe must not read the file name.
		batch, err := runner.Command(cmd.Path, cmd.Args[1:])
		if err != nil {
			return fmt.Errorf("starting the editor %q: %w", name, err)
		}
		batch.Env = cmd.Env
		cmd = batch
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s.Stdin, s.Stdout, s.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the editor %q: %w (set VISUAL or EDITOR)", name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return editorError(name, err)
	case sig := <-sigs:
		if cmd.Process.Signal(syscall.SIGTERM) != nil {
			cmd.Process.Kill() // Windows has no SIGTERM to send
		}
		<-done
		return canceled(sig)
	}
}

// editorError explains how the editor ended. sh exits 127 when the editor
// is not found and 126 when it cannot be executed, having said so on stderr;
// those get the same advice as an editor that could not be started at all.
func editorError(editor string, err error) error {
	if err == nil {
		return nil
	}
	var exit *exec.ExitError
	if runtime.GOOS != "windows" && errors.As(err, &exit) {
		switch exit.ExitCode() {
		case 127:
			return fmt.Errorf("starting the editor %q: %w (set VISUAL or EDITOR)", editor, runner.ErrNotFound)
		case 126:
			return fmt.Errorf("starting the editor %q: %w (set VISUAL or EDITOR)", editor, runner.ErrNotExecutable)
		}
	}
	return fmt.Errorf("the editor exited with an error (%v); nothing written", err)
}

// splitCommand splits an editor setting such as `code --wait` or
// `"C:\Program Files\Editor\ed.exe" -w` into words, honouring quotes, for
// Windows, where there is no sh to do it.
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
