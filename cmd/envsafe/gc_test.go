package main

import "testing"

// The collector is turned off only for commands whose memory is bounded by
// one environment; scanning a large tree or a long history must not run
// with it off.
func TestGCTuningIsScopedToShortCommands(t *testing.T) {
	for args, want := range map[string]bool{
		"run": true, "get": true, "export": true, "ls": true,
		"scan": false, "log": false, "import": false, "audit": false, "": false,
	} {
		argv := []string{"envsafe"}
		if args != "" {
			argv = append(argv, args, "--", "x")
		}
		if got := shortLived(argv); got != want {
			t.Errorf("shortLived(%q) = %v, want %v", argv, got, want)
		}
	}
}
