package store

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/envsafe/envsafe/internal/atomicfile"
	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/team"
	"github.com/gofrs/flock"
)

// Personal overrides are values one developer keeps for themself (a local
// callback URL, their own sandbox token), applied over the shared
// environment in their own runs only. They live outside the repository,
// in the user's state folder, one folder per project and per key:
//
//	<state>/personal/<sha256(project root)[:16]>/<sha256(public key)[:16]>/<env>.age
//
// so git never sees them: no teammate learns which names someone overrides,
// no merge, diff driver, scan or signature check meets them, and no
// `git add -A` can commit them. The price is that they do not follow their
// owner to another clone or machine. Each file is an age file encrypted to
// its owner's key alone, whose plaintext binds it to the project root, the
// environment and the owner, and is signed with the owner's signing key:
// a file someone else writes there (even one encrypted to this key) is
// refused, never applied.

// ErrPersonalUnavailable means this machine has no state folder to keep
// personal overrides in (no HOME).
var ErrPersonalUnavailable = errors.New("personal overrides need a state folder (HOME or XDG_STATE_HOME is not set)")

// personalMagic starts what a personal file's signature covers, so no
// other signed message of the same key can pass for one.
const personalMagic = "envsafe personal overrides v1\x00"

// personalFile is the plaintext of a personal overrides file.
type personalFile struct {
	Version int             `json:"envsafe_personal"`
	Project string          `json:"project"`
	Owner   string          `json:"owner"`
	Payload json.RawMessage `json:"payload"`
	Sig     []byte          `json:"sig"`
}

func (f *personalFile) signed() []byte {
	msg := []byte(personalMagic)
	msg = append(msg, f.Project...)
	msg = append(msg, 0)
	msg = append(msg, f.Owner...)
	msg = append(msg, 0)
	return append(msg, f.Payload...)
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// personalDir is the folder of id's overrides for this project.
func (s *Store) personalDir(owner string) (string, error) {
	if s.PersonalDir == "" {
		return "", ErrPersonalUnavailable
	}
	root := s.root
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	return filepath.Join(s.PersonalDir, shortHash(root), shortHash(owner)), nil
}

// PersonalPath is where id's overrides of env are kept, for messages.
func (s *Store) PersonalPath(env string, id *crypt.Identity) (string, error) {
	dir, err := s.personalDir(id.Public())
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, env+".age"), nil
}

// ReadPersonal returns id's personal overrides of env: an empty payload
// when there are none. A file that is not this user's, not for this
// project, environment and key, or not signed by this key is refused
// (ErrIntegrity), never ignored: the user expects their values.
//
// It does not read team.yaml (run -e ENV does not): callers that have not
// read env's shared file check the name with CheckPersonalEnv.
func (s *Store) ReadPersonal(env string, id *crypt.Identity) (*payload.Payload, error) {
	p, _, err := s.readPersonal(env, id)
	return p, err
}

// CheckPersonalEnv refuses overrides of an environment the project does
// not have.
func (s *Store) CheckPersonalEnv(env string) error {
	if err := team.ValidateEnvName(env); err != nil {
		return err
	}
	t, err := s.Team()
	if err != nil {
		return err
	}
	if _, ok := t.Env(env); !ok {
		return hint.With(fmt.Errorf("%w %q", ErrNoEnvironment, env), "personal overrides apply over an environment of this project: "+strings.Join(t.EnvNames(), ", "))
	}
	return nil
}

func (s *Store) readPersonal(env string, id *crypt.Identity) (*payload.Payload, []byte, error) {
	if err := team.ValidateEnvName(env); err != nil {
		return nil, nil, err
	}
	if s.PersonalDir == "" {
		return payload.New(env), nil, nil // nothing can have been stored
	}
	path, err := s.PersonalPath(env, id)
	if err != nil {
		return nil, nil, err
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		// No folder (or a file where the state folder should be, which
		// the audit log warns about): nothing can have been stored.
		return payload.New(env), nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	refuse := func(why error) error {
		return hint.With(fmt.Errorf("your personal overrides of %s (%s): %w: %w", env, path, ErrIntegrity, why),
			"envsafe did not write this file for you: delete it (`rm "+path+"`) and set your overrides again with `envsafe set --personal`")
	}
	if why := unsafeReason(fi); why != "" {
		return nil, nil, refuse(errors.New(why))
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, nil, refuse(fmt.Errorf("mode %o lets others read or change it", fi.Mode().Perm()))
	}
	data, err := readLimited(path, MaxFileSize)
	if err != nil {
		return nil, nil, refuse(err)
	}
	if n, err := crypt.StanzaCount(data); err != nil || n != 1 {
		return nil, nil, refuse(errors.New("it is not encrypted to your key alone"))
	}
	plain, err := crypt.Decrypt(data, id)
	if err != nil {
		return nil, nil, refuse(errors.New("it does not decrypt with your key"))
	}
	defer clear(plain)
	var f personalFile
	if err := json.Unmarshal(plain, &f); err != nil || f.Version != 1 {
		return nil, nil, refuse(errors.New("not a personal overrides file"))
	}
	key, err := id.SigningKey()
	if err != nil {
		return nil, nil, personalCannotSign(err)
	}
	if !ed25519.Verify(key.Public().(ed25519.PublicKey), f.signed(), f.Sig) {
		return nil, nil, refuse(errors.New("it is not signed by your key"))
	}
	if f.Owner != id.Public() || f.Project != s.personalProject() {
		return nil, nil, refuse(errors.New("it belongs to another project or key"))
	}
	p, err := payload.Decode(f.Payload, env)
	if err != nil {
		return nil, nil, refuse(err)
	}
	return p, []byte(f.Payload), nil
}

// personalProject is the project root a personal file is bound to.
func (s *Store) personalProject() string {
	if r, err := filepath.EvalSymlinks(s.root); err == nil {
		return r
	}
	return s.root
}

func personalCannotSign(err error) error {
	return hint.With(fmt.Errorf("personal overrides are signed with your key, and %w", err),
		"use an identity that can sign (age1..., age1pq1..., ssh-ed25519), or one imported with its envsafe-signing-key line")
}

// UpdatePersonal changes id's personal overrides of env under a lock of
// their own and writes them atomically with mode 0600, encrypted to id
// alone. env must be an environment of the project. Like Update, it
// reports whether the file was rewritten.
func (s *Store) UpdatePersonal(ctx context.Context, env string, id *crypt.Identity, change func(*payload.Payload) error) (bool, error) {
	if err := s.CheckPersonalEnv(env); err != nil {
		return false, err
	}
	if s.PersonalDir == "" {
		return false, ErrPersonalUnavailable
	}
	key, err := id.SigningKey()
	if err != nil {
		return false, personalCannotSign(err)
	}
	dir, err := s.personalDir(id.Public())
	if err != nil {
		return false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, fmt.Errorf("creating %s: %w", dir, err)
	}
	l := flock.New(filepath.Join(dir, ".lock"), flock.SetPermissions(0o600), flock.SetFlag(os.O_CREATE|os.O_RDONLY|noFollow))
	lctx, cancel := context.WithTimeout(ctx, LockWait)
	defer cancel()
	if ok, err := l.TryLockContext(lctx, 20*time.Millisecond); !ok {
		return false, fmt.Errorf("locking %s: %w", dir, errors.Join(ErrLocked, err))
	}
	defer l.Unlock()
	p, old, err := s.readPersonal(env, id)
	if err != nil {
		return false, err
	}
	if err := change(p); err != nil {
		return false, err
	}
	p.Recipients = []string{id.Public()}
	plain, err := p.Encode()
	if err != nil {
		return false, err
	}
	if old != nil && string(plain) == string(old) {
		return false, nil
	}
	f := personalFile{Version: 1, Project: s.personalProject(), Owner: id.Public(), Payload: plain}
	f.Sig = ed25519.Sign(key, f.signed())
	body, err := json.Marshal(f)
	if err != nil {
		return false, err
	}
	defer clear(body)
	r, err := crypt.ParseRecipient(id.Public())
	if err != nil {
		return false, err
	}
	file, err := crypt.Encrypt(body, []crypt.Recipient{r})
	if err != nil {
		return false, err
	}
	path := filepath.Join(dir, env+".age")
	if err := atomicfile.Write(path, file, 0o600); err != nil {
		return false, err
	}
	return true, nil
}
