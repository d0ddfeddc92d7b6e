// Package keychain stores small secrets in the operating system's keychain
// (macOS Keychain, Secret Service on Linux, Windows Credential Manager)
// through go-keyring, with every call bounded by a timeout and, on Linux,
// without ever letting the D-Bus library start a bus of its own.
package keychain

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/envsafe/envsafe/internal/hint"
	"github.com/zalando/go-keyring"
)

// Service is the name every envsafe entry is filed under.
const Service = "envsafe"

// DefaultTimeout bounds one keychain call. A locked keyring with no agent to
// prompt for its password never answers; envsafe must not hang with it.
const DefaultTimeout = 5 * time.Second

var (
	// ErrNotFound means the keychain works but holds no such entry.
	ErrNotFound = errors.New("no entry in the keychain")
	// ErrUnavailable means no keychain could be reached or it did not answer.
	ErrUnavailable = errors.New("keychain unavailable")
)

// Keychain is what envsafe needs from a keychain.
type Keychain interface {
	Get(ctx context.Context, account string) (string, error)
	Set(ctx context.Context, account, secret string) error
	Delete(ctx context.Context, account string) error
	// Backend names the keychain for status output.
	Backend() string
}

// System is the operating system's keychain.
type System struct {
	timeout time.Duration
}

// NewSystem returns the OS keychain with calls bounded by timeout.
func NewSystem(timeout time.Duration) *System {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &System{timeout: timeout}
}

// Backend names the keychain this build talks to.
func (s *System) Backend() string { return backendName() }

// Get reads the entry for account.
func (s *System) Get(ctx context.Context, account string) (string, error) {
	var secret string
	err := s.call(ctx, func() (err error) {
		secret, err = keyring.Get(Service, account)
		return err
	})
	return secret, err
}

// Set creates or replaces the entry for account.
func (s *System) Set(ctx context.Context, account, secret string) error {
	return s.call(ctx, func() error { return keyring.Set(Service, account, secret) })
}

// Delete removes the entry for account.
func (s *System) Delete(ctx context.Context, account string) error {
	return s.call(ctx, func() error { return keyring.Delete(Service, account) })
}

// call runs one keychain operation in its own goroutine so that a keychain
// that never answers costs at most the timeout. The abandoned goroutine ends
// with the process, which is what a CLI wants.
func (s *System) call(ctx context.Context, op func() error) error {
	if err := busReachable(); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- op() }()
	select {
	case err := <-done:
		switch {
		case err == nil:
			return nil
		case errors.Is(err, keyring.ErrNotFound):
			return ErrNotFound
		case strings.HasPrefix(err.Error(), "failed to unlock"):
			// go-keyring's words when the collection is locked and the
			// Secret Service found no prompter to ask for the password.
			return hint.With(fmt.Errorf("%w: %s is locked and nothing could ask for its password", ErrUnavailable, backendName()), unlockAdvice(runtime.GOOS))
		default:
			return fmt.Errorf("%w: %s: %w", ErrUnavailable, backendName(), err)
		}
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.Canceled) {
			return ctx.Err()
		}
		return hint.With(fmt.Errorf("%w: %s did not answer within %s (is it locked with nothing to unlock it?)", ErrUnavailable, backendName(), s.timeout), unlockAdvice(runtime.GOOS))
	}
}

// unlockAdvice is the advice when the keychain is there but locked, or
// does not answer, on goos. The Windows Credential Manager has
// no lock of its own: it belongs to the signed-in user's session.
func unlockAdvice(goos string) string {
	if goos == "windows" {
		return "sign in to Windows as yourself (the Credential Manager belongs to your own session, not to a service or a runas shell), then try again"
	}
	return "unlock your keyring (log in to your desktop session, or open your keyring app), then try again"
}

// Memory is an in-process keychain for tests and for the demo's throwaway
// identity. Setting Err makes every call fail with it.
type Memory struct {
	mu      sync.Mutex
	entries map[string]string
	Err     error
}

// NewMemory returns an empty in-memory keychain.
func NewMemory() *Memory { return &Memory{entries: map[string]string{}} }

// Backend names the fake.
func (m *Memory) Backend() string { return "in-memory (test)" }

// Get reads the entry for account.
func (m *Memory) Get(_ context.Context, account string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return "", m.Err
	}
	v, ok := m.entries[account]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

// Set creates or replaces the entry for account.
func (m *Memory) Set(_ context.Context, account, secret string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return m.Err
	}
	m.entries[account] = secret
	return nil
}

// Delete removes the entry for account.
func (m *Memory) Delete(_ context.Context, account string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return m.Err
	}
	if _, ok := m.entries[account]; !ok {
		return ErrNotFound
	}
	delete(m.entries, account)
	return nil
}

// Entries returns a copy of what is stored, for assertions.
func (m *Memory) Entries() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.entries)
}

// backendName says which keychain go-keyring uses on this OS.
func backendName() string {
	switch runtime.GOOS {
	case "darwin":
		return "macOS Keychain"
	case "windows":
		return "Windows Credential Manager"
	default:
		return "Secret Service (D-Bus)"
	}
}
