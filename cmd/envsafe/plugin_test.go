package main

import (
	"os"
	"os/exec"
	"path/filepath"

	"github.com/envsafe/envsafe/internal/crypt/plugintest"
	"github.com/rogpeppe/go-internal/testscript"
)

// pluginkey MODE FILE VAR writes an identity file for
// age-plugin-envsafetest (MODE plain, pin, fail, message or fixed, the key
// `age -j envsafetest` uses), or for age's own age-plugin-tagtest (MODE
// tagtest, its fixed age1tag1 key), or for a plugin nobody installed
// (MODE missing), and sets VAR to its recipient.
func cmdPluginKey(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: pluginkey plain|pin|fail|message|fixed|tagtest|missing FILE VAR")
	}
	modes := map[string]plugintest.Mode{"plain": plugintest.Plain, "pin": plugintest.PIN, "fail": plugintest.Fail, "message": plugintest.Message}
	var (
		text, rec string
		err       error
	)
	switch args[0] {
	case "fixed":
		text, rec, err = plugintest.Fixed()
	case "tagtest":
		text, rec = plugintest.Tagtest()
	case "missing":
		text, rec = plugintest.Missing()
	default:
		mode, ok := modes[args[0]]
		if !ok {
			ts.Fatalf("unknown mode %q", args[0])
		}
		text, rec, err = plugintest.NewKey(mode)
	}
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(text), 0o600))
	ts.Setenv(args[2], rec)
}

// tagtest DIR builds age's own test plugin, age-plugin-tagtest, into DIR
// from the module cache (it is internal to age's module: go build can
// still build it by import path).
func cmdTagtest(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: tagtest DIR")
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(ts.MkAbs(args[0]), "age-plugin-tagtest"), "filippo.io/age/tag/internal/age-plugin-tagtest")
	cmd.Dir = ts.Getenv("REPO")
	out, err := cmd.CombinedOutput()
	if err != nil {
		ts.Fatalf("building age-plugin-tagtest: %v\n%s", err, out)
	}
}
