// Package commands is envsafe's command line: one file per command, each a
// newXCmd that only parses flags and arguments and a runX that does the work
// against Deps. It is the only package that imports urfave/cli.
package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/envsafe/envsafe/internal/hint"

	"github.com/envsafe/envsafe/internal/audit"
	"github.com/envsafe/envsafe/internal/identity"
	"github.com/envsafe/envsafe/internal/keychain"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/prompt"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/team"
)

// Deps is everything a command touches outside memory. main builds the real
// one; tests build one with buffers, an in-memory keychain and a Script.
type Deps struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// StdinIsTTY allows prompting; StdoutIsTTY guards secrets printed to a screen.
	StdinIsTTY  bool
	StdoutIsTTY bool
	// StderrIsTTY lets long work (scan --history, member rm, sync) show
	// its progress; off a terminal nothing is printed for it.
	StderrIsTTY bool
	Prompter    prompt.Prompter
	Keychain    keychain.Keychain
	LookupEnv   func(string) (string, bool)
	// Environ is the inherited environment, the base `run` adds secrets to.
	Environ func() []string
	// Exec replaces the process with a program (runner.Exec); it returns
	// only on failure. Tests record the call instead.
	Exec func(ctx context.Context, path string, args, env []string) error
	Now  func() time.Time
	// Dir is the working directory the project is searched from.
	Dir string
	// GitUserName returns `git config user.name`, or "" when unknown.
	GitUserName func() string
	// Git runs git with args in dir and returns its stdout.
	Git func(dir string, args ...string) ([]byte, error)
	// GitStream runs git with args in dir and hands its stdout to read as
	// it comes, for output too large to hold (git log -p); main gives
	// gitexec.Stream. Nil falls back to Git, so a test fakes git once.
	GitStream func(dir string, args []string, read func(io.Reader) error) error
	// SelfCommand says how git should call envsafe back (diff and merge
	// drivers, the pre-commit hook): "envsafe" when that is on PATH, else
	// this binary's path. It is one word, not a command line: it goes
	// through shellquote.Quote wherever a shell will read it, since the
	// path may hold spaces or quotes. A function, so commands that do not
	// need it do not pay for it.
	SelfCommand func() string
	// Version is the build's version, stamped by the release.
	Version string
	// Audit is the local log every decryption is appended to (see
	// auditlog.go); nil keeps none.
	Audit *audit.Log
	// TrustStates is the folder where this machine records what it
	// verified of signed projects (pins, sequence numbers).
	TrustStates string
	// PersonalStates is the folder, in the user's state folder, where
	// personal overrides are kept (store.Store.PersonalDir); "" for none.
	PersonalStates string
	// PluginTTY lets a hardware key's age plugin ask (a PIN) on the
	// controlling terminal, /dev/tty, never stdin or stdout. main sets it;
	// tests leave it off, so no test can wait on a developer's terminal.
	PluginTTY bool
}

// gitStream runs git through GitStream, or through Git where that is all
// there is.
func (d *Deps) gitStream(dir string, args []string, read func(io.Reader) error) error {
	if d.GitStream != nil {
		return d.GitStream(dir, args, read)
	}
	out, err := d.Git(dir, args...)
	if err != nil {
		return err
	}
	return read(bytes.NewReader(out))
}

// EnvEnv names the variable that picks the environment when -e is not given.
const EnvEnv = "ENVSAFE_ENV"

// say prints a message for the user on stderr: stdout is for data.
func (d *Deps) say(format string, args ...any) {
	fmt.Fprintf(d.Stderr, format+"\n", args...)
}

// warn prints a warning line on stderr.
func (d *Deps) warn(format string, args ...any) {
	fmt.Fprintf(d.Stderr, "envsafe: warning: "+format+"\n", args...)
}

func (d *Deps) getenv(name string) string {
	v, _ := d.LookupEnv(name)
	return v
}

func (d *Deps) project(sc auditScope) (*store.Store, error) {
	s, err := store.Find(d.Dir)
	if err != nil {
		return nil, err
	}
	d.wire(s, sc)
	return s, nil
}

// projects finds every project of the git repository d.Dir is in (a
// monorepo), or outside one the project d.Dir is in.
func (d *Deps) projects(sc auditScope) ([]*store.Store, error) {
	all, err := store.FindAll(d.Dir)
	if err != nil {
		return nil, err
	}
	for _, s := range all {
		d.wire(s, sc)
	}
	return all, nil
}

// wire gives a store this machine's hooks: the audit log, git, trust
// state and the personal overrides folder.
func (d *Deps) wire(s *store.Store, sc auditScope) {
	if d.Audit != nil {
		s.OnDecrypt = func(env string, p *payload.Payload) { d.auditDecrypt(s.Root(), env, p, sc) }
	}
	if d.Git != nil {
		s.Committed = func(env string) *team.Team { return committedTeam(d, s, env) }
	}
	s.LoadTrust = d.loadTrust
	s.Pinned = d.pinned
	s.PersonalDir = d.PersonalStates
}

func (d *Deps) identity(ctx context.Context) (*identity.Resolved, error) {
	id, err := identity.Resolve(ctx, d.LookupEnv, d.Keychain)
	if err != nil {
		return nil, err
	}
	id.SetPluginUI(d.Stderr, d.PluginTTY)
	return id, nil
}

// envName picks the environment: -e, then ENVSAFE_ENV, then team.yaml's
// default. team.yaml is read only in the last case, keeping `-e` fast.
func (d *Deps) envName(s *store.Store, flag string) (string, error) {
	name := flag
	if name == "" {
		name = d.getenv(EnvEnv)
	}
	if name != "" {
		if err := team.ValidateEnvName(name); err != nil {
			return "", err
		}
		return name, nil
	}
	if s.IsSigned() {
		// The default is part of the signed roster: an unsigned edit of
		// team.yaml must not point `run` at another environment.
		sg, err := s.SignedContext()
		if err != nil {
			return "", err
		}
		return sg.V.Roster.Team.Default, nil
	}
	t, err := s.Team()
	if err != nil {
		return "", err
	}
	return t.Default, nil
}

// open finds the project, the environment and the identity, the start of
// every command that reads secrets.
func (d *Deps) open(ctx context.Context, envFlag string, sc auditScope) (*store.Store, string, *identity.Resolved, error) {
	s, err := d.project(sc)
	if err != nil {
		return nil, "", nil, err
	}
	var id *identity.Resolved
	if s.IsSigned() {
		// The default environment is the signed roster's, which the
		// identity (its pin line) may be needed to verify: resolve it once.
		if id, err = d.identity(ctx); err != nil {
			return nil, "", nil, err
		}
		s.LoadTrust = d.loadTrustAs(id)
		s.Pinned = d.pinnedAs(id)
	}
	env, err := d.envName(s, envFlag)
	if err != nil {
		return nil, "", nil, err
	}
	if id == nil {
		if id, err = d.identity(ctx); err != nil {
			return nil, "", nil, joinHint(s, err)
		}
		s.LoadTrust = d.loadTrustAs(id)
		s.Pinned = d.pinnedAs(id)
	}
	return s, env, id, nil
}

// joinHint adds, to "no identity" inside a project, how a newcomer joins:
// the keychain holds no key yet, which is everyone's first day.
func joinHint(s *store.Store, err error) error {
	if !errors.Is(err, keychain.ErrNotFound) {
		return err
	}
	return hint.With(err, "new to this project? `envsafe init` here creates your key and says how to join; "+s.MembersHint())
}

// writeJSON prints v as indented JSON on stdout: what every --json prints.
func writeJSON(d *Deps, v any) error {
	enc := json.NewEncoder(d.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
