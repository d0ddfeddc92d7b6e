package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/team"
)

type person struct {
	id     *crypt.Identity
	public string
}

func newPerson(t *testing.T) person {
	t.Helper()
	secret, public, err := crypt.Generate(false)
	if err != nil {
		t.Fatal(err)
	}
	id, err := crypt.ParseIdentity([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return person{id, public}
}

// newProject creates a project where alice reads everything and bob only
// development.
func newProject(t *testing.T) (*Store, person, person) {
	t.Helper()
	alice, bob := newPerson(t), newPerson(t)
	tm := &team.Team{
		Default: "development",
		Members: []team.Member{{Name: "alice", Recipient: alice.public}, {Name: "bob", Recipient: bob.public}},
		Environments: []team.Environment{
			{Name: "development", Members: []string{"alice", "bob"}},
			{Name: "production", Members: []string{"alice"}},
		},
	}
	s, err := Init(t.TempDir(), tm)
	if err != nil {
		t.Fatal(err)
	}
	return s, alice, bob
}

func set(t *testing.T, s *Store, env string, id *crypt.Identity, kv ...string) bool {
	t.Helper()
	changed, err := s.Update(context.Background(), env, id, func(p *payload.Payload) error {
		for i := 0; i+1 < len(kv); i += 2 {
			p.Set(kv[i], kv[i+1], time.Now())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return changed
}

func TestInitWritesEmptyEncryptedEnvironments(t *testing.T) {
	s, alice, _ := newProject(t)
	for _, env := range []string{"development", "production"} {
		p, err := s.Read(env, alice.id)
		if err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		if len(p.Secrets) != 0 || p.Environment != env {
			t.Fatalf("%s: fresh environment holds %+v", env, p)
		}
	}
	if _, err := Init(s.Root(), &team.Team{}); !errors.Is(err, ErrExists) {
		t.Fatalf("second init: err = %v, want ErrExists", err)
	}
	ignore, _ := os.ReadFile(filepath.Join(s.Dir(), ".gitignore"))
	if !strings.Contains(string(ignore), ".lock") {
		t.Fatalf(".gitignore does not keep the lock file out of git: %q", ignore)
	}
}

func TestUpdateWritesOnlyWhenPlaintextChanges(t *testing.T) {
	s, alice, bob := newProject(t)
	if !set(t, s, "development", alice.id, "API_KEY", "one") {
		t.Fatal("first write reported no change")
	}
	before, _ := os.ReadFile(s.EnvPath("development"))
	if set(t, s, "development", bob.id, "API_KEY", "one") {
		t.Fatal("writing the same value reported a change")
	}
	after, _ := os.ReadFile(s.EnvPath("development"))
	if !bytes.Equal(before, after) {
		t.Fatal("file rewritten although nothing changed")
	}
	p, err := s.Read("development", bob.id)
	if err != nil || p.Secrets["API_KEY"].Value != "one" {
		t.Fatalf("bob reads %+v, %v", p, err)
	}
	if !payload.SameRecipients(p.Recipients, []string{alice.public, bob.public}) {
		t.Fatalf("recorded recipients %v", p.Recipients)
	}
}

func TestReadRefusesStrangersWithHint(t *testing.T) {
	s, _, bob := newProject(t)
	_, err := s.Read("production", bob.id)
	if !errors.Is(err, ErrNotRecipient) {
		t.Fatalf("err = %v, want ErrNotRecipient", err)
	}
	if h := strings.Join(hint.All(err), " "); !strings.Contains(h, "member add") || !strings.Contains(h, "identity show") {
		t.Fatalf("hint does not say how to get access: %q", h)
	}
	// Once team.yaml lists bob, the advice is to re-encrypt instead.
	tm, _ := s.Team()
	env, _ := tm.Env("production")
	env.Members = append(env.Members, "bob")
	data, _ := tm.Marshal()
	os.WriteFile(filepath.Join(s.Dir(), TeamFile), data, 0o644)
	_, err = s.Read("production", bob.id)
	if h := strings.Join(hint.All(err), " "); !errors.Is(err, ErrNotRecipient) || !strings.Contains(h, "envsafe sync") {
		t.Fatalf("err = %v, hint %q: want a sync hint", err, h)
	}
}

func TestReadRefusesDamagedOrSwappedFiles(t *testing.T) {
	s, alice, _ := newProject(t)
	set(t, s, "development", alice.id, "A", "dev-canary")
	set(t, s, "production", alice.id, "A", "prod-canary")
	good, _ := os.ReadFile(s.EnvPath("development"))
	prod, _ := os.ReadFile(s.EnvPath("production"))
	flipped := bytes.Clone(good)
	flipped[len(flipped)-40] ^= 0x01
	cases := map[string][]byte{
		"production copied over development": prod,
		"flipped byte":                       flipped,
		"truncated":                          good[:len(good)-60],
		"not age":                            []byte("A=dev-canary\n"),
		"empty":                              {},
		"too large":                          bytes.Repeat([]byte("x"), MaxFileSize+1),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(s.EnvPath("development"), data, 0o644); err != nil {
				t.Fatal(err)
			}
			p, err := s.Read("development", alice.id)
			if !errors.Is(err, ErrIntegrity) || p != nil {
				t.Fatalf("Read() = %v, %v; want ErrIntegrity and nothing", p, err)
			}
			if strings.Contains(err.Error(), "canary") {
				t.Fatalf("error leaks a value: %v", err)
			}
			if _, err := s.Update(context.Background(), "development", alice.id, func(*payload.Payload) error { return nil }); !errors.Is(err, ErrIntegrity) {
				t.Fatalf("Update over a damaged file: err = %v, want ErrIntegrity", err)
			}
		})
	}
}

func TestUnknownEnvironmentListsKnownOnes(t *testing.T) {
	s, alice, _ := newProject(t)
	_, err := s.Read("staging", alice.id)
	if !errors.Is(err, ErrNoEnvironment) || !strings.Contains(strings.Join(hint.All(err), ""), "development, production") {
		t.Fatalf("err = %v hints %q", err, hint.All(err))
	}
	if _, err := s.Read("../team", alice.id); err == nil || errors.Is(err, ErrNoEnvironment) {
		t.Fatalf("a path-like environment name must be refused as invalid: %v", err)
	}
}

func TestFindWalksUp(t *testing.T) {
	s, _, _ := newProject(t)
	deep := filepath.Join(s.Root(), "a", "b")
	os.MkdirAll(deep, 0o755)
	found, err := Find(deep)
	if err != nil || found.Root() != s.Root() {
		t.Fatalf("Find() = %v, %v", found, err)
	}
	if _, err := Find(t.TempDir()); !errors.Is(err, ErrNoProject) {
		t.Fatalf("outside a project: %v", err)
	}
}

func TestConcurrentWritersLoseNothing(t *testing.T) {
	s, alice, _ := newProject(t)
	const writers = 24
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Update(context.Background(), "development", alice.id, func(p *payload.Payload) error {
				p.Set(fmt.Sprintf("K%d", i), "v", time.Now())
				return nil
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	p, err := s.Read("development", alice.id)
	if err != nil || len(p.Secrets) != writers {
		t.Fatalf("%d of %d secrets survived (%v)", len(p.Secrets), writers, err)
	}
}

// TestLockHolderKilledDoesNotWedgeProject kills a process holding the lock
// and expects the next writer through at once.
func TestLockHolderKilledDoesNotWedgeProject(t *testing.T) {
	if dir := os.Getenv("ENVSAFE_TEST_HOLD_LOCK"); dir != "" {
		if _, err := Open(dir).lock(context.Background()); err != nil {
			os.Exit(3)
		}
		fmt.Println("locked")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	s, alice, _ := newProject(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHolderKilledDoesNotWedgeProject$")
	cmd.Env = append(os.Environ(), "ENVSAFE_TEST_HOLD_LOCK="+s.Root())
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := out.Read(buf); err != nil || string(buf) != "locked" {
		t.Fatalf("helper did not take the lock: %q %v", buf, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	_, err := s.Update(ctx, "development", alice.id, func(*payload.Payload) error { return nil })
	cancel()
	if err == nil {
		t.Fatal("writer got in while another process held the lock")
	}
	cmd.Process.Kill()
	cmd.Wait()
	if !set(t, s, "development", alice.id, "AFTER_KILL", "1") {
		t.Fatal("write after the lock holder died did not happen")
	}
}
