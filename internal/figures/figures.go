// Package figures lets the safety tests record the numbers SECURITY.md
// quotes (flips tried, kills survived, lock waits) in one place, whichever
// package measures them.
package figures

import (
	"fmt"
	"os"
	"testing"
)

// Record logs a measured number and, when ENVSAFE_FIGURES names a file
// (`make stress` does), appends it there as NAME<TAB>VALUE.
func Record(t testing.TB, name string, value any) {
	t.Helper()
	t.Logf("figure %s = %v", name, value)
	path := os.Getenv("ENVSAFE_FIGURES")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "%s\t%v\n", name, value)
}
