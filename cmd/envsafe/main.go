// Command envsafe keeps a project's secrets in age-encrypted files instead of
// plaintext .env files. All the work is in internal/commands; this file only
// builds the real dependencies and exits with the code Main returns.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/envsafe/envsafe/internal/audit"
	"github.com/envsafe/envsafe/internal/commands"
	"github.com/envsafe/envsafe/internal/gitexec"
	"github.com/envsafe/envsafe/internal/hardening"
	"github.com/envsafe/envsafe/internal/keychain"
	"github.com/envsafe/envsafe/internal/prompt"
	"github.com/envsafe/envsafe/internal/runner"
	"github.com/envsafe/envsafe/internal/terminal"
)

// version is stamped by the release build: -ldflags "-X main.version=v1.2.3".
var version = ""

func main() {
	os.Exit(run())
}

func run() int {
	// Before any secret is read: no core dumps, no /proc snooping.
	hardening.NoDump()
	tuneGC(os.Args)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir, err := os.Getwd()
	if err != nil {
		dir = "."
	}
	timeout, err := keychainTimeout()
	if err != nil {
		fmt.Fprintf(os.Stderr, "envsafe: error: %v\n", err)
		return commands.ExitUsage
	}
	stderrIsTTY := terminal.IsTerminal(os.Stderr)
	d := &commands.Deps{
		Stdin:          os.Stdin,
		Stdout:         os.Stdout,
		Stderr:         os.Stderr,
		StdinIsTTY:     terminal.IsTerminal(os.Stdin),
		StdoutIsTTY:    terminal.IsTerminal(os.Stdout),
		StderrIsTTY:    stderrIsTTY,
		Prompter:       prompt.Terminal{In: os.Stdin, Out: os.Stderr, NoColor: os.Getenv("NO_COLOR") != "" || !stderrIsTTY},
		Keychain:       keychain.NewSystem(timeout),
		LookupEnv:      os.LookupEnv,
		Environ:        os.Environ,
		Exec:           runner.Exec,
		Now:            time.Now,
		Dir:            dir,
		GitUserName:    gitexec.UserName,
		Git:            gitexec.Output,
		GitStream:      gitexec.Stream,
		SelfCommand:    gitexec.SelfCommand,
		Version:        buildVersion(),
		Audit:          audit.New(audit.DefaultDir(runtime.GOOS, os.Getenv)),
		TrustStates:    stateDir("trust"),
		PersonalStates: stateDir("personal"),
		PluginTTY:      true,
	}
	return commands.Main(ctx, os.Args, d)
}

// tuneGC turns the collector off until the heap reaches 24 MiB, for the
// commands that decrypt one environment and end (run, get, export, ls):
// they live for milliseconds and most of what they allocate stays live
// until exit, so collecting costs time (stopping threads, page faults) and
// frees little, and the limit keeps them at 10,000 secrets well under
// 30 MiB. Commands whose input has no such bound (scan, log, import of a
// large file) keep Go's collector. GOGC or GOMEMLIMIT set by the user win.
func tuneGC(args []string) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" || !shortLived(args) {
		return
	}
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(24 << 20)
}

// keychainTimeout reads ENVSAFE_KEYCHAIN_TIMEOUT (a Go duration such as
// 2s). A value that is not one is an error, not a silent default: the user
// set it for a reason.
func keychainTimeout() (time.Duration, error) {
	text, ok := os.LookupEnv("ENVSAFE_KEYCHAIN_TIMEOUT")
	if !ok || text == "" {
		return keychain.DefaultTimeout, nil
	}
	v, err := time.ParseDuration(text)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("ENVSAFE_KEYCHAIN_TIMEOUT must be a positive duration such as 2s or 500ms")
	}
	return v, nil
}

// buildVersion prefers the release stamp, then the module version recorded
// by `go install ...@vX`, then "dev".
func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

// shortLived reports a command line whose command decrypts one environment
// and ends: the ones tuneGC is for.
func shortLived(args []string) bool {
	if len(args) < 2 {
		return false
	}
	switch args[1] {
	case "run", "get", "export", "ls":
		return true
	}
	return false
}

// stateDir is a folder in the user's state folder, beside the audit log:
// "trust" records what this machine verified of signed projects,
// "personal" holds personal overrides. "" when there is no state folder.
func stateDir(name string) string {
	dir, err := audit.DefaultDir(runtime.GOOS, os.Getenv)
	if err != nil {
		return ""
	}
	return filepath.Join(dir, name)
}
