// Package store keeps a project's .envsafe folder: finding it, creating it,
// and reading and writing environment files so that a write is atomic,
// serialised by a lock, skipped when nothing changed, and a read is refused
// unless the file is intact and belongs to the environment asked for.
package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/envsafe/envsafe/internal/atomicfile"
	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/team"
	"github.com/envsafe/envsafe/internal/trust"
	"github.com/gofrs/flock"
)

// DirName is the folder, at the project root, that holds everything.
const DirName = ".envsafe"

// TeamFile is the name of the access file inside DirName.
const TeamFile = "team.yaml"

// MaxFileSize bounds an environment file. 10,000 secrets of 1 KiB take about
// 15 MiB once armored; anything past this is refused before decrypting.
const MaxFileSize = 64 << 20

// LockWait is how long a writer waits for another writer to finish.
const LockWait = 10 * time.Second

var (
	// ErrNoProject means no folder from the working directory up holds .envsafe.
	ErrNoProject = errors.New("not inside an envsafe project (no .envsafe folder here or above)")
	// ErrExists means init was asked to create a project that exists.
	ErrExists = errors.New("an envsafe project already exists here")
	// ErrNotRecipient means the file is intact but not encrypted to you.
	ErrNotRecipient = errors.New("not a recipient")
	// ErrIntegrity means the file is damaged, forged or another environment's.
	ErrIntegrity = errors.New("integrity check failed")
	// ErrNoEnvironment means team.yaml does not list the environment.
	ErrNoEnvironment = errors.New("no such environment")
	// ErrNoFile means team.yaml lists the environment but its file is absent.
	ErrNoFile = errors.New("missing environment file")
	// ErrLocked means another writer held the lock for longer than LockWait.
	ErrLocked = errors.New("another envsafe process is writing to this project")
)

// Store is one project's .envsafe folder.
type Store struct {
	root string
	// OnDecrypt, when set, is called after Read decrypts an environment
	// file, with what it held: the audit log's hook.
	OnDecrypt func(env string, p *payload.Payload)
	// Committed, when set, returns team.yaml as committed with the last
	// version of env's file (from git), or nil. It only names keys in
	// messages: a key team.yaml now gives to someone else reads as
	// "NAME: key changed" instead of an unknown key lost and NAME gained.
	Committed func(env string) *team.Team
	// LoadTrust, for a signed project, finds this machine's pin and
	// returns the verified context (usually by calling LoadSigned). It is
	// called once, at the first read or write.
	LoadTrust func(s *Store) (*Signed, error)
	// Pinned reports whether this machine holds a pin for the project
	// (the clone is bound, or the identity or ENVSAFE_TRUST carries one):
	// then a missing team.sig is an attack, not an unsigned project.
	Pinned func(s *Store) bool
	// PersonalDir is the folder, in the user's state folder, that holds
	// personal overrides (see personal.go); "" when there is none.
	PersonalDir string
	sg          *Signed
}

// Open returns the store of a project rooted at root without checking it.
func Open(root string) *Store { return &Store{root: root} }

// Find walks up from start, like git, to the first folder holding .envsafe,
// but not past the top of the git work tree start is in: a .envsafe in a
// shared parent folder is not this repository's. The folder found must be
// this user's (see checkSafe).
func Find(start string) (*Store, error) {
	dir, err := filepath.Abs(start)
	if err != nil {
		return nil, err
	}
	for {
		fi, err := os.Stat(filepath.Join(dir, DirName))
		if err == nil && fi.IsDir() {
			if err := checkSafe(dir); err != nil {
				return nil, err
			}
			return &Store{root: dir}, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir || isWorkTreeTop(dir) {
			return nil, hint.With(ErrNoProject, "run `envsafe init` at the root of your project to start one")
		}
		dir = parent
	}
}

// isWorkTreeTop reports a folder holding .git (a folder, or a file for
// worktrees and submodules): the search for .envsafe stops there.
func isWorkTreeTop(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, ".git"))
	return err == nil
}

// Root is the project folder, the one that holds .envsafe.
func (s *Store) Root() string { return s.root }

// Dir is the .envsafe folder itself.
func (s *Store) Dir() string { return filepath.Join(s.root, DirName) }

// EnvPath is where an environment's file lives; env must be a valid name.
func (s *Store) EnvPath(env string) string { return filepath.Join(s.Dir(), env+".age") }

// Rel names a file relative to the project root, for messages.
func (s *Store) Rel(path string) string {
	if r, err := filepath.Rel(s.root, path); err == nil {
		return filepath.ToSlash(r)
	}
	return path
}

// Team reads and checks team.yaml.
func (s *Store) Team() (*team.Team, error) {
	path := filepath.Join(s.Dir(), TeamFile)
	data, err := readLimited(path, team.MaxSize)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", s.Rel(path), err)
	}
	t, err := team.Parse(data)
	if err != nil {
		return nil, hint.With(fmt.Errorf("%s: %w", s.Rel(path), err), "fix the file by hand, or restore it with `git checkout -- "+s.Rel(path)+"`")
	}
	return t, nil
}

// Init creates .envsafe with team.yaml, a .gitignore for envsafe's own
// scratch files, and an empty, encrypted file for every environment.
func Init(root string, t *team.Team) (_ *Store, err error) {
	s := &Store{root: root}
	if _, err := os.Lstat(s.Dir()); err == nil {
		return nil, ErrExists
	}
	data, err := t.Marshal()
	if err != nil {
		return nil, err
	}
	if err := os.Mkdir(s.Dir(), 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, ErrExists
		}
		return nil, fmt.Errorf("creating %s: %w", DirName, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(s.Dir()) // never leave a half-made project behind
		}
	}()
	// Every writer in .envsafe holds the lock, init included (see lock).
	unlock, err := s.lock(context.Background())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := atomicfile.Write(filepath.Join(s.Dir(), ".gitignore"), []byte(".lock\n.*.tmp-*\n"), 0o644); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(filepath.Join(s.Dir(), TeamFile), data, 0o644); err != nil {
		return nil, err
	}
	for _, env := range t.EnvNames() {
		if _, err := s.write(t, env, payload.New(env), nil); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Read decrypts an environment. The file of an environment team.yaml lists
// must exist: a deleted file must not read as an empty environment, or
// `run` would start a program with none of its secrets. (Writes create the
// file; see Update.)
func (s *Store) Read(env string, id *crypt.Identity) (*payload.Payload, error) {
	p, plain, err := s.read(env, id, nil)
	if err != nil {
		return nil, err
	}
	if plain == nil {
		return nil, s.noFile(env)
	}
	if s.OnDecrypt != nil {
		s.OnDecrypt(env, p)
	}
	return p, nil
}

// lockedRead takes the project lock and reads env's existing file for a
// write: team.yaml, the payload and its exact plaintext. A deleted file is
// refused, not replaced by a new, nearly empty one: the secrets are in git
// history. The caller releases the lock with unlock.
func (s *Store) lockedRead(ctx context.Context, env string, id *crypt.Identity) (func(), *team.Team, *payload.Payload, []byte, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	t, err := s.Team()
	if err != nil {
		unlock()
		return nil, nil, nil, nil, err
	}
	p, plain, err := s.read(env, id, t)
	if err == nil && plain == nil {
		err = s.noFile(env)
	}
	if err != nil {
		unlock()
		return nil, nil, nil, nil, err
	}
	return unlock, t, p, plain, nil
}

// noFile explains an environment team.yaml lists whose file is absent.
func (s *Store) noFile(env string) error {
	rel := s.Rel(s.EnvPath(env))
	return hint.With(fmt.Errorf("%w: environment %s has no file (%s)", ErrNoFile, env, rel),
		"if it was deleted, restore it with `git checkout -- "+rel+"`; if it is new, a member of "+env+" creates it with `envsafe sync`")
}

// Update changes an environment under the project lock: it re-reads the
// file, applies change, and writes the result encrypted to the recipients
// team.yaml lists now, which may be fewer than the file has but never
// more (ErrUnreviewedGrant): granting is for ChangeAccess, which shows it.
// It reports whether the file was rewritten; a change that leaves the
// plaintext as it was writes nothing.
func (s *Store) Update(ctx context.Context, env string, id *crypt.Identity, change func(*payload.Payload) error) (bool, error) {
	unlock, t, p, old, err := s.lockedRead(ctx, env, id)
	if err != nil {
		return false, err
	}
	defer unlock()
	if s.sg == nil {
		// In a signed project readers come from the verified roster,
		// never from team.yaml, so there is nothing to check here.
		if err := s.checkNoGrant(t, env, p); err != nil {
			return false, err
		}
	}
	if err := change(p); err != nil {
		return false, err
	}
	return s.write(t, env, p, old)
}

func (s *Store) write(t *team.Team, env string, p *payload.Payload, old []byte) (bool, error) {
	sg, err := s.signed()
	if err != nil {
		return false, err
	}
	var file []byte
	if sg == nil {
		file, err = SealFile(t, env, p, old)
	} else {
		file, err = sg.sealChanged(env, p, old)
	}
	if err != nil || file == nil {
		return false, err
	}
	if err := atomicfile.Write(s.EnvPath(env), file, 0o644); err != nil {
		return false, err
	}
	if sg != nil {
		return true, sg.Commit()
	}
	return true, nil
}

// read returns the payload and the exact plaintext it came from (nil when
// the file does not exist yet). t may be nil; it is loaded when needed.
func (s *Store) read(env string, id *crypt.Identity, t *team.Team) (*payload.Payload, []byte, error) {
	if err := team.ValidateEnvName(env); err != nil {
		return nil, nil, err
	}
	path := s.EnvPath(env)
	data, err := readLimited(path, MaxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		if t == nil {
			if t, err = s.Team(); err != nil {
				return nil, nil, err
			}
		}
		if _, ok := t.Env(env); !ok {
			return nil, nil, hint.With(fmt.Errorf("%w %q", ErrNoEnvironment, env),
				"this project has: "+strings.Join(t.EnvNames(), ", ")+"; add one with `envsafe env add NAME`")
		}
		return payload.New(env), nil, nil
	}
	if errors.Is(err, errTooLarge) || errors.Is(err, errNotRegular) {
		return nil, nil, hint.With(fmt.Errorf("%s: %w: %w", s.Rel(path), ErrIntegrity, err), s.restoreHint(path))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", s.Rel(path), err)
	}
	if hasConflictMarkers(data) {
		return nil, nil, hint.With(fmt.Errorf("%s: %w: git merged it as text and left conflict markers, since this clone has no envsafe merge driver", s.Rel(path), ErrIntegrity),
			"abort the merge (`git merge --abort`), run `envsafe git setup`, then merge again: envsafe merges environments by secret name")
	}
	sg, err := s.signed()
	if err != nil {
		return nil, nil, err
	}
	p, plain, err := OpenFile(data, env, id, sg, func() *team.Team {
		if t == nil {
			t, _ = s.Team()
		}
		return t
	})
	switch {
	case errors.Is(err, ErrNotRecipient):
		return nil, nil, s.notRecipient(env, id, t)
	case errors.Is(err, ErrNewerFormat):
		return nil, nil, hint.With(fmt.Errorf("%s: %w", s.Rel(path), err), "upgrade envsafe to read it (see `envsafe version`)")
	case errors.As(err, new(*crypt.PluginError)):
		// The file is fine; the hardware key's plugin is not.
		return nil, nil, fmt.Errorf("decrypting %s: %w", s.Rel(path), err)
	case errors.Is(err, trust.ErrRollback):
		return nil, nil, hint.With(hint.With(fmt.Errorf("%s: %w", s.Rel(path), err),
			"to bring old values back on purpose, put the newer file back (`git checkout HEAD -- "+s.Rel(path)+"`, or undo the revert) and run `envsafe restore --from COMMIT -e "+env+"`"),
			"if you threw away writes you never pushed, `envsafe trust forget -e "+env+"` accepts this file once")
	case err != nil:
		return nil, nil, hint.With(fmt.Errorf("%s: %w", s.Rel(path), err), s.restoreHint(path))
	}
	return p, plain, nil
}

// hasConflictMarkers reports a file git merged line by line: armored age
// text never holds a line starting with "<<<<<<< " or ">>>>>>> ".
func hasConflictMarkers(data []byte) bool {
	return (bytes.HasPrefix(data, []byte("<<<<<<< ")) || bytes.Contains(data, []byte("\n<<<<<<< "))) &&
		bytes.Contains(data, []byte("\n>>>>>>> "))
}

func (s *Store) restoreHint(path string) string {
	return "restore the last good version from git: `git log -- " + s.Rel(path) + "` then `git checkout COMMIT -- " + s.Rel(path) + "`"
}

// notRecipient explains the two common causes: never added, or added to
// team.yaml by someone who could not re-encrypt the file.
func (s *Store) notRecipient(env string, id *crypt.Identity, t *team.Team) error {
	err := fmt.Errorf("cannot decrypt %s: %w of environment %q (your key is %s)", s.Rel(s.EnvPath(env)), ErrNotRecipient, env, crypt.Short(id.Public()))
	if t == nil {
		t, _ = s.Team()
	}
	if t != nil && t.CanRead(env, id.Public()) {
		// A damaged copy of one's own recipient stanza looks exactly like
		// this too (age cannot tell them apart), hence the second hint.
		return hint.With(hint.With(err, "if you could read it before, check who changed it: `git log -- "+s.Rel(s.EnvPath(env))+"`"),
			"team.yaml lists you for "+env+" but the file was not re-encrypted since: ask a member of "+env+" to run `envsafe sync`")
	}
	return hint.With(err, "send your public key (`envsafe identity show`) to "+membersOf(t, env)+", who runs `envsafe member add YOUR_NAME YOUR_KEY -e "+env+"` and pushes; then pull")
}

// membersOf names who can give access to env, for a newcomer's hint:
// "a member of production (alice, ci-prod)".
func membersOf(t *team.Team, env string) string {
	if t != nil {
		if e, ok := t.Env(env); ok && len(e.Members) > 0 {
			return "a member of " + env + " (" + strings.Join(e.Members, ", ") + ")"
		}
	}
	return "a member of " + env
}

// MembersHint names the project's members, whom a newcomer asks to join.
func (s *Store) MembersHint() string {
	t, err := s.Team()
	if err != nil || len(t.Members) == 0 {
		return "ask a member of the team"
	}
	names := make([]string, 0, len(t.Members))
	for _, m := range t.Members {
		names = append(names, m.Name)
	}
	return "the members are " + strings.Join(names, ", ")
}

// lock takes the project's write lock. It is an OS advisory lock, so the
// kernel drops it when its holder dies: a killed envsafe never wedges a project.
func (s *Store) lock(ctx context.Context) (func(), error) {
	l := flock.New(filepath.Join(s.Dir(), ".lock"), flock.SetPermissions(0o644), flock.SetFlag(os.O_CREATE|os.O_RDONLY|noFollow))
	ctx, cancel := context.WithTimeout(ctx, LockWait)
	defer cancel()
	ok, err := l.TryLockContext(ctx, 20*time.Millisecond)
	if !ok {
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			return nil, hint.With(ErrLocked, fmt.Sprintf("waited %s; if no other envsafe is running, try again", LockWait))
		}
		if fi, lerr := os.Lstat(filepath.Join(s.Dir(), ".lock")); lerr == nil && !fi.Mode().IsRegular() {
			return nil, hint.With(fmt.Errorf("locking %s: %s/.lock is not a regular file (it is %s): %w", DirName, DirName, kindOf(fi.Mode()), err),
				"envsafe does not follow it; delete it (`"+hint.DeleteFiles(filepath.Join(DirName, ".lock"))+"`) and try again")
		}
		return nil, fmt.Errorf("locking %s: %w", DirName, err)
	}
	removeStaleTemps(s.Dir())
	return func() { l.Unlock() }, nil
}

// removeStaleTemps deletes the temporary files (atomicfile's .NAME.tmp-*)
// of writers killed before they could rename them. Every writer in
// .envsafe holds the lock, so while it is held such files can only be a
// dead writer's; they hold nothing but ciphertext, but would pile up.
func removeStaleTemps(dir string) {
	stale, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	for _, f := range stale {
		os.Remove(f)
	}
}

var errTooLarge = errors.New("file is larger than the limit")

// errNotRegular is a FIFO, a device or a folder where a file should be:
// reading one could hang envsafe or feed it another program's output.
var errNotRegular = errors.New("not a regular file")

// kindOf names what a path is when it is not a regular file.
func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "not a regular file"
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|nonBlocking, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: it is %s", errNotRegular, kindOf(fi.Mode()))
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%w of %d MiB", errTooLarge, limit>>20)
	}
	// Size the buffer from the file, so a 1 MiB environment is read with one
	// allocation rather than a dozen doublings.
	// ReadFrom wants bytes.MinRead free before each read: without that
	// margin the last read (of EOF) would double the buffer, copying the
	// whole file.
	var buf bytes.Buffer
	buf.Grow(int(fi.Size()) + bytes.MinRead)
	if _, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
		return nil, err
	}
	if int64(buf.Len()) > limit {
		return nil, fmt.Errorf("%w of %d MiB", errTooLarge, limit>>20)
	}
	return buf.Bytes(), nil
}

// teamOrNil is team.yaml, or nil when it cannot be read, for OpenFile.
func (s *Store) teamOrNil() *team.Team {
	t, _ := s.Team()
	return t
}
