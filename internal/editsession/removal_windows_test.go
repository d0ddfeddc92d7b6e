//go:build windows

package editsession

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An editor or a virus scanner that still holds the decrypted file: Windows
// refuses to delete it. The session tries again, and if the file stays
// held, says where it is and how to delete it.
func TestRemoveDirRetriesThenTellsThePath(t *testing.T) {
	dir := filepath.Join(os.TempDir(), "envsafe-edit-removal-test")
	os.Mkdir(dir, 0o700)
	t.Cleanup(func() { removeTree(dir) })
	file := filepath.Join(dir, "development.env")
	if err := os.WriteFile(file, []byte("API_KEY=s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	held, err := os.Open(file) // without FILE_SHARE_DELETE, as Go opens files
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	s := &Session{Stderr: &stderr}
	if err := s.removeDir(dir, []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}); err == nil {
		t.Fatal("removeDir succeeded while the file was held open")
	}
	msg := stderr.String()
	if !strings.Contains(msg, "could not remove "+dir) || !strings.Contains(msg, `rmdir /s /q "`+dir+`"`) || strings.Contains(msg, "s3cret") {
		t.Fatalf("stderr = %q: want the folder and how to delete it, never the content", msg)
	}

	// Let go during the retries: removed, nothing said.
	stderr.Reset()
	go func() { time.Sleep(100 * time.Millisecond); held.Close() }()
	if err := s.removeDir(dir, removeWaits); err != nil {
		t.Fatalf("removeDir after the file was let go: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) || stderr.Len() != 0 {
		t.Fatalf("folder still there (%v) or a message: %q", err, stderr.String())
	}
}

func TestDefaultEditorIsNotepad(t *testing.T) {
	cmd, name, err := editorCommand("windows", "", `C:\T\development.env`, nil)
	if err != nil || name != "notepad" || !strings.EqualFold(filepath.Base(cmd.Path), "notepad.exe") {
		t.Fatalf("editorCommand = %v (%q), %v; want notepad.exe found on PATH", cmd, name, err)
	}
}
