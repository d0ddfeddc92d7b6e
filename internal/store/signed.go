package store

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/envsafe/envsafe/internal/atomicfile"
	"github.com/envsafe/envsafe/internal/crypt"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/trust"
	"github.com/gofrs/flock"
)

// TeamSigFile holds a signed project's admin log and signed roster beside
// team.yaml (see docs/design/trust.md). Its presence makes a project signed.
const TeamSigFile = "team.sig"

// ErrNotWriter means the caller may read a signed environment but not
// write it (a read-only member such as CI, or not listed for it).
var ErrNotWriter = errors.New("not a writer")

// Signed is one command's view of a signed project: the roster verified
// against this machine's pin and state, and the caller's place in it. Every
// read of an environment verifies its signature against V; every write signs
// as the caller and seals to exactly V's recipients.
type Signed struct {
	V *trust.Verified
	// me is the caller's member name in the verified roster ("" if the
	// caller is not in it); key is their signing key (nil if none).
	me  string
	key ed25519.PrivateKey
	// state is what this machine learnt so far; states keeps it.
	state  trust.State
	states StateDir
	// raw is team.sig as verified, for signing the next roster under it.
	raw []byte
	// pending are the writes sealed but not yet committed to the state.
	pending []written
	// id derives the signing key, only when something is signed.
	id *crypt.Identity
}

// signingKey is the caller's signing key, derived on first use.
func (sg *Signed) signingKey() ed25519.PrivateKey {
	if sg.key == nil && sg.id != nil {
		if key, err := sg.id.SigningKey(); err == nil {
			sg.key = key
		}
	}
	return sg.key
}

// Me is the caller's member name in the verified roster, or "".
func (sg *Signed) Me() string { return sg.me }

// signed returns the project's verified signing context, loading it on
// first use through LoadTrust; nil for an unsigned project. A signed
// project whose trust cannot be loaded is an error, never an unsigned read.
func (s *Store) signed() (*Signed, error) {
	if s.sg != nil {
		return s.sg, nil
	}
	if !s.IsSigned() {
		// Deleting team.sig must not turn a signed project back into an
		// unsigned one on a machine that trusts it.
		if s.Pinned != nil && s.Pinned(s) {
			rel := DirName + "/" + TeamSigFile
			return nil, hint.With(fmt.Errorf("%w: this machine is pinned to a signed project, but %s is missing", ErrIntegrity, rel),
				"restore it from git (`git log -- "+rel+"`); only if an admin really made the project unsigned again, `envsafe trust unpin` stops checking")
		}
		return nil, nil
	}
	if s.LoadTrust == nil {
		return nil, hint.With(fmt.Errorf("%s is signed: %w: %w", s.Root(), ErrIntegrity, trust.ErrNotPinned), "run `envsafe trust pin PIN` with the pin an admin gives you")
	}
	sg, err := s.LoadTrust(s)
	if err != nil {
		return nil, err
	}
	s.sg = sg
	return sg, nil
}

// SignedContext is the project's verified signing context (nil for an
// unsigned project), for callers outside the store that open files
// themselves: the merge driver, git's diff driver.
func (s *Store) SignedContext() (*Signed, error) { return s.signed() }

// Check verifies a payload opened without a context (a version shown by
// git diff) against the verified roster, without recording anything: nil,
// or why it must not be trusted.
func (sg *Signed) Check(p *payload.Payload, plain []byte) error {
	return sg.verify(p.Environment, p, plain)
}

// IsSigned reports whether the project has a signed roster.
func (s *Store) IsSigned() bool {
	_, err := os.Lstat(filepath.Join(s.Dir(), TeamSigFile))
	return err == nil
}

// LoadSigned verifies team.sig against pin and what this machine recorded
// for the project (states), and finds the caller (id) in the verified
// roster. A missing pin is trust.ErrNotPinned; a roster that fails
// verification wraps ErrIntegrity. What the verification taught (head
// checkpoint, roster version) is recorded at once: it only ever rises.
func (s *Store) LoadSigned(pin trust.Pin, states StateDir, id *crypt.Identity) (*Signed, error) {
	rel := DirName + "/" + TeamSigFile
	if pin.IsZero() {
		return nil, hint.With(fmt.Errorf("%s is signed, but this machine has no pin for it: %w: %w", s.Root(), ErrIntegrity, trust.ErrNotPinned),
			"ask an admin for the project's pin (`envsafe trust show` prints it) and run `envsafe trust pin PIN`; CI gets it as a `# envsafe-trust: PIN` line in its identity")
	}
	data, err := readLimited(filepath.Join(s.Dir(), TeamSigFile), trust.MaxTeamSigSize)
	if err != nil {
		return nil, hint.With(fmt.Errorf("%s: %w: %w", rel, ErrIntegrity, err), s.restoreHint(filepath.Join(s.Dir(), TeamSigFile)))
	}
	return s.LoadSignedFrom(data, rel, pin, states, id)
}

// LoadSignedFrom is LoadSigned for a team.sig read from elsewhere than the
// work tree (the branch being merged in, whose roster is newer); from names
// it in messages.
func (s *Store) LoadSignedFrom(data []byte, from string, pin trust.Pin, states StateDir, id *crypt.Identity) (*Signed, error) {
	rel := from
	st, err := states.Load(pin.Project)
	if err != nil {
		return nil, err
	}
	record := recordOf(id, "team.sig", data)
	known := record != "" && states.sigsChecked(pin.Project) == record
	v, err := trust.VerifyKnown(data, pin, st, known)
	if errors.Is(err, trust.ErrRollback) {
		return nil, hint.With(fmt.Errorf("%s: %w: %w", rel, ErrIntegrity, err),
			"this checkout's signed roster is older than one this machine already used: merge the branch that has the newer one (`git merge main`), which envsafe's merge drivers allow")
	}
	if err != nil {
		return nil, hint.With(fmt.Errorf("%s: %w: %w", rel, ErrIntegrity, err),
			"the signed roster does not verify against this machine's pin: do not use this checkout; find who changed "+rel+" (`git log -p -- "+rel+"`)")
	}
	// Recorded at once, but only when it teaches something: a routine read
	// of a known roster takes no lock and writes nothing.
	if learnt, err := trust.Merge(st, v.State()); err != nil {
		return nil, err
	} else if learnt.RosterVersion != st.RosterVersion || learnt.Checkpoint != st.Checkpoint {
		if st, err = states.Raise(pin.Project, v.State()); err != nil {
			return nil, err
		}
	}
	if record != "" && !known {
		states.recordSigsChecked(pin.Project, record)
	}
	sg := &Signed{V: v, state: st, states: states, raw: data, id: id}
	for _, m := range v.Roster.Team.Members {
		if m.Recipient == id.Public() {
			sg.me = m.Name
		}
	}
	return sg, nil
}

// verify checks a decrypted payload of env against the verified roster
// (TRUST.md C.6): signed for this project by a writer of env, canonical,
// not older than what this machine or the roster's floor allows. An
// unsigned payload is accepted only for an environment the roster lists as
// still unsigned (migration).
func (sg *Signed) verify(env string, p *payload.Payload, plain []byte) error {
	return sg.verifyFile(env, p, plain, "")
}

// verifyFile is verify for a payload decrypted from a file whose identity,
// fileID, names its exact ciphertext and the key that opened it (fileID);
// "" keeps no record.
func (sg *Signed) verifyFile(env string, p *payload.Payload, plain []byte, fileID string) error {
	if p.Sig == nil {
		if seen := sg.state.Envs[env].Seq; seen > 0 {
			// Still listed as allowed unsigned, but this machine has used
			// a signed version: an unsigned file now is a step back.
			return fmt.Errorf("%w: not signed, but this machine already used a signed %s (seq %d)", ErrIntegrity, trust.QuoteName(env), seen)
		}
		for _, e := range sg.V.Roster.UnsignedOK {
			if e == env {
				return nil
			}
		}
		return fmt.Errorf("%w: not signed, and the signed roster does not allow an unsigned %s", ErrIntegrity, trust.QuoteName(env))
	}
	// The same file, opened with the same key, as one this machine verified
	// before decrypts to the same bytes: the signature and canonical form
	// are what they were then; who may write env, floors and rollback are
	// checked again against today's roster. (The record names ciphertext,
	// never the plaintext, whose hash would let low-entropy values be
	// guessed.)
	if fileID != "" && fileID == sg.states.envChecked(sg.V.Project, env) {
		if err := trust.VerifyEnvKnown(sg.V, sg.state, env, *p.Sig); err != nil {
			return fmt.Errorf("%w: %w", ErrIntegrity, err)
		}
		return nil
	}
	body, err := p.SigningBody()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrIntegrity, err)
	}
	// The plaintext must be the canonical encoding of what was parsed: the
	// body with the signature in its place (sig is the last field), so a
	// duplicate key or a reordering cannot pass a value the signature does
	// not cover. One encoding serves both checks.
	if !canonicalWithSig(plain, body, p.Sig.Sig) {
		return fmt.Errorf("%w: the signed payload is not in canonical form", ErrIntegrity)
	}
	if err := trust.VerifyEnv(sg.V, sg.state, env, *p.Sig, body); err != nil {
		return fmt.Errorf("%w: %w", ErrIntegrity, err)
	}
	if fileID != "" {
		sg.states.recordEnvChecked(sg.V.Project, env, fileID)
	}
	return nil
}

// used records that env was read or written at seq.
func (sg *Signed) used(env string, seq uint64) error {
	if sg.state.Envs[env].Seq >= seq {
		return nil // nothing new: no lock, no write
	}
	st, err := sg.states.Raise(sg.V.Project, sg.state.Raise(env, seq))
	if err == nil {
		sg.state = st
	}
	return err
}

// seal signs p as the caller and encrypts it to env's readers in the
// verified roster. fileSeq is the sequence of the verified file the write
// starts from (0 for a new file).
func (sg *Signed) seal(env string, p *payload.Payload, fileSeq uint64) ([]byte, error) {
	if sg.me == "" || sg.signingKey() == nil {
		return nil, hint.With(fmt.Errorf("%w of %s: you are not a member of the signed roster, or your identity cannot sign", ErrNotWriter, env),
			"a writer of "+env+" has to make this change")
	}
	if err := sg.V.CheckWriter(env, sg.me); err != nil {
		return nil, hint.With(fmt.Errorf("%w of %s: %w", ErrNotWriter, env, err), "a writer of "+env+" has to make this change; an admin can make you one")
	}
	readers, err := sg.V.Recipients(env)
	if err != nil {
		return nil, err
	}
	sig, err := trust.NewEnvSig(sg.V, sg.state, env, sg.me, sg.key, fileSeq)
	if err != nil {
		return nil, err
	}
	p.Sig = &sig
	p.Recipients = readers
	body, err := p.SigningBody()
	if err != nil {
		return nil, err
	}
	if p.Sig.Sig, err = trust.SignEnv(sg.key, body); err != nil {
		return nil, err
	}
	file, err := SealFileTo(readers, env, p)
	if err != nil {
		return nil, err
	}
	// Recorded only once the file is written (Commit): a write that fails
	// must not make the current file read as older than one "used".
	sg.pending = append(sg.pending, written{env, sig.Seq})
	return file, nil
}

type written struct {
	env string
	seq uint64
}

// Commit records, once the files sealed since the last Commit are written,
// their sequence numbers and the roster version in this machine's state.
func (sg *Signed) Commit() error {
	st := sg.state
	for _, w := range sg.pending {
		st = st.Raise(w.env, w.seq)
	}
	st, err := sg.states.Raise(sg.V.Project, st)
	if err != nil {
		return err
	}
	sg.state, sg.pending = st, nil
	return nil
}

// sealChanged seals p unless its plaintext (with the signature it was
// read with) equals old: an unchanged environment is not rewritten.
func (sg *Signed) sealChanged(env string, p *payload.Payload, old []byte) ([]byte, error) {
	var fileSeq uint64
	if p.Sig != nil {
		fileSeq = p.Sig.Seq
	}
	if old != nil {
		if plain, err := p.Encode(); err == nil && bytes.Equal(plain, old) {
			return nil, nil
		}
	}
	return sg.seal(env, p, fileSeq)
}

// StateDir is the folder where this machine keeps, per signed project, the
// highest checkpoint, roster version and sequence numbers it has accepted
// ($XDG_STATE_HOME/envsafe/trust). Writes are atomic, under a lock, and
// only ever raise values, so two envsafe processes never lower each other's.
type StateDir string

func (d StateDir) path(project string) string { return filepath.Join(string(d), project+".json") }

// Load returns what is recorded for project (the zero State if nothing).
func (d StateDir) Load(project string) (trust.State, error) {
	data, err := os.ReadFile(d.path(project))
	if errors.Is(err, fs.ErrNotExist) {
		return trust.State{}, nil
	}
	if err != nil {
		return trust.State{}, fmt.Errorf("reading trust state: %w", err)
	}
	return trust.DecodeState(data)
}

// sigsChecked returns the record (recordOf) of the team.sig whose every
// signature this machine checked last, or "": a signed run then skips
// repeating the Ed25519 checks of the same bytes (trust.VerifyKnown).
func (d StateDir) sigsChecked(project string) string {
	if d == "" {
		return ""
	}
	data, err := os.ReadFile(filepath.Join(string(d), project+".sigs-checked"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// recordSigsChecked notes that every signature of the team.sig with hash h
// verified. A failure to write only costs the next run the checks again.
func (d StateDir) recordSigsChecked(project, h string) {
	if d != "" && os.MkdirAll(string(d), 0o700) == nil {
		_ = atomicfile.Write(filepath.Join(string(d), project+".sigs-checked"), []byte(h+"\n"), 0o600)
	}
}

// envChecked returns the hash of the last payload of env whose signature
// and form this machine verified, or "" (see sigsChecked).
func (d StateDir) envChecked(project, env string) string {
	if d == "" {
		return ""
	}
	data, err := os.ReadFile(filepath.Join(string(d), project+".env."+env+".checked"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

func (d StateDir) recordEnvChecked(project, env, h string) {
	if d != "" && os.MkdirAll(string(d), 0o700) == nil {
		_ = atomicfile.Write(filepath.Join(string(d), project+".env."+env+".checked"), []byte(h+"\n"), 0o600)
	}
}

// Raise merges st into what is recorded for project and returns the result.
func (d StateDir) Raise(project string, st trust.State) (trust.State, error) {
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return trust.State{}, fmt.Errorf("trust state: %w", err)
	}
	l := flock.New(d.path(project)+".lock", flock.SetPermissions(0o600), flock.SetFlag(os.O_CREATE|os.O_RDONLY|noFollow))
	if err := l.Lock(); err != nil {
		return trust.State{}, fmt.Errorf("locking trust state: %w", err)
	}
	defer l.Unlock()
	read := func() ([]byte, error) {
		data, err := os.ReadFile(d.path(project))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return data, err
	}
	write := func(data []byte) error { return atomicfile.Write(d.path(project), data, 0o600) }
	return trust.UpdateState(read, write, st)
}

// Forget drops what this machine recorded about env's sequence numbers, so
// that the file in the work tree is accepted again after the user threw away
// newer, never-pushed versions (git checkout, git stash). It is the one
// explicit step that lowers the state; the roster's floor still holds.
func (d StateDir) Forget(project, env string) error {
	l := flock.New(d.path(project)+".lock", flock.SetPermissions(0o600), flock.SetFlag(os.O_CREATE|os.O_RDONLY|noFollow))
	if err := l.Lock(); err != nil {
		return fmt.Errorf("locking trust state: %w", err)
	}
	defer l.Unlock()
	st, err := d.Load(project)
	if err != nil {
		return err
	}
	delete(st.Envs, env)
	data, err := st.Encode()
	if err != nil {
		return err
	}
	return atomicfile.Write(d.path(project), data, 0o600)
}

// bindingPath is where the project id a clone is bound to is kept: per
// clone folder, in this machine's state, so that checking it costs one
// stat and the repository cannot change it.
func (d StateDir) bindingPath(root string) string {
	sum := sha256.Sum256([]byte(filepath.Clean(root)))
	return filepath.Join(string(d), "clones", hex.EncodeToString(sum[:16]))
}

// Bind records that the clone at root trusts project.
func (d StateDir) Bind(root, project string) error {
	if err := os.MkdirAll(filepath.Join(string(d), "clones"), 0o700); err != nil {
		return fmt.Errorf("trust state: %w", err)
	}
	return atomicfile.Write(d.bindingPath(root), []byte(project+"\n"), 0o600)
}

// Bound returns the project the clone at root is bound to, or "".
func (d StateDir) Bound(root string) string {
	if d == "" {
		return ""
	}
	data, err := os.ReadFile(d.bindingPath(root))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// Unbind removes the clone's binding (trust unpin).
func (d StateDir) Unbind(root string) error { return os.Remove(d.bindingPath(root)) }

// ForgetRoster lowers what this machine recorded for a project's roster to
// the team.sig in s's work tree, which must verify against pin: after an
// admin threw away a roster change never pushed. Its environments' sequence
// numbers are kept.
func (d StateDir) ForgetRoster(s *Store, pin trust.Pin) (uint64, error) {
	data, err := readLimited(filepath.Join(s.Dir(), TeamSigFile), trust.MaxTeamSigSize)
	if err != nil {
		return 0, err
	}
	v, err := trust.Verify(data, pin, trust.State{})
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrIntegrity, err)
	}
	l := flock.New(d.path(pin.Project)+".lock", flock.SetPermissions(0o600), flock.SetFlag(os.O_CREATE|os.O_RDONLY|noFollow))
	if err := l.Lock(); err != nil {
		return 0, fmt.Errorf("locking trust state: %w", err)
	}
	defer l.Unlock()
	st, err := d.Load(pin.Project)
	if err != nil {
		return 0, err
	}
	st.Checkpoint, st.RosterVersion = v.Head, v.Roster.Version
	out, err := st.Encode()
	if err != nil {
		return 0, err
	}
	return v.Roster.Version, atomicfile.Write(d.path(pin.Project), out, 0o600)
}

// canonicalWithSig reports whether plain is body (which ends with
// `"sig":""}}`) with sig in the empty string's place.
func canonicalWithSig(plain, body []byte, sig string) bool {
	const tail = `""}}`
	if !bytes.HasSuffix(body, []byte(tail)) {
		return false
	}
	head := body[:len(body)-len(tail)]
	if !bytes.HasPrefix(plain, head) {
		return false
	}
	rest := plain[len(head):]
	quoted, err := json.Marshal(sig)
	return err == nil && bytes.Equal(rest, append(quoted, '}', '}'))
}

// OpenVersion opens an older version of env's file (from git history) to
// bring its values back deliberately (restore): it must be intact and, in a
// signed project, signed by a current writer of env for this project, but
// may be older than what this machine used: that is the point. Nothing is
// recorded.
func (s *Store) OpenVersion(data []byte, env string, id *crypt.Identity) (*payload.Payload, error) {
	sg, err := s.signed()
	if err != nil {
		return nil, err
	}
	p, plain, err := OpenFile(data, env, id, nil, s.teamOrNil)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	if sg == nil {
		return p, nil
	}
	if err := sg.verify(env, p, plain); err != nil && !errors.Is(err, trust.ErrRollback) {
		return nil, err
	}
	return p, nil
}

// recordOf is this identity's keyed record of having checked the
// signatures of data (a team.sig, an environment file): an HMAC under a
// key derived from the identity's secret, so that whoever can write the
// state folder (a CI cache, say) cannot make a record for a forged file.
// "" when the identity has no key to derive it from: then nothing is
// recorded and every check runs.
func recordOf(id *crypt.Identity, kind string, data []byte) string {
	if id == nil {
		return ""
	}
	key := id.RecordKey()
	if key == nil {
		return ""
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write(data)
	return hex.EncodeToString(m.Sum(nil))
}
