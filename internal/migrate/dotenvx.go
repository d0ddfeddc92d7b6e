package migrate

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/envsafe/envsafe/internal/dotenv"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/payload"
)

const (
	dotenvxPrefix     = "encrypted:"
	dotenvxPublicKey  = "DOTENV_PUBLIC_KEY"
	dotenvxPrivateKey = "DOTENV_PRIVATE_KEY"
	// DotenvxKeysFile is where dotenvx keeps the private keys, beside the
	// .env files they open.
	DotenvxKeysFile = ".env.keys"
)

// DotenvxKeys is where ReadDotenvx looks for a file's private key: the
// process environment first, as dotenvx does, then the .env.keys file
// beside the imported file.
type DotenvxKeys struct {
	// Lookup reads the process environment (os.LookupEnv).
	Lookup func(string) (string, bool)
	// File is the content of the .env.keys beside the file, nil if none;
	// FileName its path, for messages.
	File     []byte
	FileName string
}

// ReadDotenvx reads a dotenvx .env file: the npm dotenv dialect (dotenvx
// encrypts each value as npm dotenv reads it), with every `encrypted:`
// value opened by the file's private key (ECIES over secp256k1: the
// ephemeral public key, a 16-byte nonce, the GCM tag and the AES-256-GCM
// ciphertext, keyed by HKDF-SHA256 of the ephemeral key and the shared
// point). The private key is DOTENV_PRIVATE_KEY[_ENV], named after the
// file's DOTENV_PUBLIC_KEY[_ENV]; the DOTENV_PUBLIC_KEY entries are not
// secrets and are left out. Values are stored as written: a note says
// where `dotenvx run` would have expanded a '$'.
func ReadDotenvx(name string, data []byte, keys DotenvxKeys) (*Result, error) {
	pairs, err := dotenv.Parse(name, data)
	if err != nil {
		return nil, err
	}
	publicName, public := "", ""
	for _, p := range pairs {
		if strings.HasPrefix(p.Name, dotenvxPublicKey) && publicName == "" {
			publicName, public = p.Name, p.Value
		}
	}
	privateName := dotenvxPrivateKey + strings.TrimPrefix(publicName, dotenvxPublicKey)
	if publicName == "" {
		privateName = privateKeyNameFor(name)
	}
	res := &Result{Source: "dotenvx", Unchecked: true} // dotenvx has no MAC
	var privs []*secp256k1.PrivateKey
	for _, p := range pairs {
		if strings.HasPrefix(p.Name, dotenvxPublicKey) {
			continue
		}
		cipherText, encrypted := strings.CutPrefix(p.Value, dotenvxPrefix)
		if !encrypted {
			res.Pairs = append(res.Pairs, p)
			res.Clear = append(res.Clear, p.Name)
			continue
		}
		if privs == nil {
			if privs, res.KeyFile, err = dotenvxPrivateKeys(name, privateName, publicName, public, keys); err != nil {
				return nil, err
			}
		}
		raw, err := base64.StdEncoding.DecodeString(cipherText)
		var plain []byte
		if err == nil {
			for _, k := range privs {
				if plain, err = eciesDecrypt(k, raw); err == nil {
					break
				}
			}
		}
		if err != nil {
			return nil, hint.With(fmt.Errorf("%s:%d: %s %w: its encrypted value does not decrypt with %s (changed, or encrypted to another key)", name, p.Line, p.Name, ErrIntegrity, privateName),
				"restore the file from git, or check that "+privateName+" is this file's key; nothing was imported")
		}
		v := string(plain)
		if err := payload.ValidateValue(p.Name, v); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, p.Line, err)
		}
		note := ""
		if strings.Contains(v, "$") {
			note = "the value holds a '$': `dotenvx run` expands $VAR, ${VAR} and $(command) in values that are not single-quoted, envsafe stores the value as written (as npm dotenv reads it); " +
				"if your program relied on the expansion, store the expanded value with `envsafe set " + p.Name + "`"
		}
		res.Pairs = append(res.Pairs, dotenv.Pair{Name: p.Name, Value: v, Line: p.Line, Note: note})
	}
	return res, nil
}

// privateKeyNameFor is dotenvx's name for a file's private key when the
// file names no public key: .env → DOTENV_PRIVATE_KEY, .env.production →
// DOTENV_PRIVATE_KEY_PRODUCTION, .env.development.local →
// DOTENV_PRIVATE_KEY_DEVELOPMENT_LOCAL.
func privateKeyNameFor(file string) string {
	base := path.Base(strings.ReplaceAll(file, `\`, "/"))
	env, ok := strings.CutPrefix(base, ".env.")
	if !ok || env == "" {
		return dotenvxPrivateKey
	}
	return dotenvxPrivateKey + "_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(env))
}

// dotenvxPrivateKeys finds privateName in the environment or .env.keys (a
// comma-separated list, as dotenvx allows) and checks the keys against the
// file's public key, so that a wrong key is named as such.
func dotenvxPrivateKeys(name, privateName, publicName, public string, keys DotenvxKeys) ([]*secp256k1.PrivateKey, string, error) {
	text, found := "", false
	from := "the environment"
	if keys.Lookup != nil {
		// Set but empty reads as unset, as in dotenvx.
		text, found = keys.Lookup(privateName)
		found = found && strings.TrimSpace(text) != ""
	}
	keyFile := ""
	if !found && keys.File != nil {
		pairs, err := dotenv.Parse(keys.FileName, keys.File)
		if err != nil {
			return nil, "", err
		}
		for _, p := range pairs {
			if p.Name == privateName {
				text, found, from, keyFile = p.Value, true, keys.FileName, keys.FileName
			}
		}
	}
	if !found || strings.TrimSpace(text) == "" {
		where := "it is not set"
		if keys.FileName != "" {
			where = "it is neither set nor in " + keys.FileName
		}
		return nil, "", hint.With(fmt.Errorf("%s holds values encrypted by dotenvx, and its key %s is missing: %s: %w", name, privateName, where, ErrNoKey),
			"set "+privateName+" in the environment for this command (from where your team keeps it), or put the "+DotenvxKeysFile+
				" file beside "+name+"; keys kept by `dotenvx armor` or dotenvx's keyring: `dotenvx decrypt -f FILE --stdout | envsafe import -`")
	}
	var privs []*secp256k1.PrivateKey
	matches := public == ""
	for _, t := range strings.Split(text, ",") {
		b, err := hex.DecodeString(strings.TrimSpace(t))
		if err != nil || len(b) != 32 {
			return nil, "", hint.With(fmt.Errorf("%s (from %s) is not a dotenvx private key (64 hex digits)", privateName, from),
				"copy the whole DOTENV_PRIVATE_KEY... line from "+DotenvxKeysFile+" again")
		}
		k := secp256k1.PrivKeyFromBytes(b)
		if public != "" && strings.EqualFold(hex.EncodeToString(k.PubKey().SerializeCompressed()), strings.TrimSpace(public)) {
			matches = true
		}
		privs = append(privs, k)
	}
	if !matches {
		return nil, "", hint.With(fmt.Errorf("%s (from %s) is the wrong key for %s: it does not match its %s: %w", privateName, from, name, publicName, ErrNoKey),
			"find the key that belongs to this file (the "+DotenvxKeysFile+" written when it was encrypted), set "+privateName+" to it, and import again")
	}
	return privs, keyFile, nil
}

// eciesDecrypt opens an eciesjs message as dotenvx writes it: the
// uncompressed ephemeral key (65 bytes), a 16-byte nonce, the 16-byte tag,
// then the ciphertext. (The scalar multiplication is not constant-time;
// it runs once per value on the user's own machine, with no oracle.)
func eciesDecrypt(priv *secp256k1.PrivateKey, data []byte) ([]byte, error) {
	const ephLen, nonceLen, tagLen = 65, 16, 16
	if len(data) < ephLen+nonceLen+tagLen {
		return nil, errors.New("too short")
	}
	eph, err := secp256k1.ParsePubKey(data[:ephLen])
	if err != nil {
		return nil, err
	}
	var point, shared secp256k1.JacobianPoint
	eph.AsJacobian(&point)
	secp256k1.ScalarMultNonConst(&priv.Key, &point, &shared)
	shared.ToAffine()
	master := append(eph.SerializeUncompressed(), secp256k1.NewPublicKey(&shared.X, &shared.Y).SerializeUncompressed()...)
	key, err := hkdf.Key(sha256.New, master, nil, "", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, nonceLen)
	if err != nil {
		return nil, err
	}
	nonce, tag, body := data[ephLen:ephLen+nonceLen], data[ephLen+nonceLen:ephLen+nonceLen+tagLen], data[ephLen+nonceLen+tagLen:]
	return gcm.Open(nil, nonce, append(append([]byte{}, body...), tag...), nil)
}
