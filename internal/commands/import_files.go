package commands

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/envsafe/envsafe/internal/dotenv"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/store"
)

// refuseForeignCiphertext stops values encrypted by dotenvx or sops from
// being stored as if they were the secrets themselves.
func refuseForeignCiphertext(p dotenv.Pair, from string) error {
	switch {
	case strings.HasPrefix(p.Value, "encrypted:"):
		return hint.With(fmt.Errorf("%s (%s) is encrypted by dotenvx, not a secret value", p.Name, from),
			"import the dotenvx file it came from (`envsafe import .env.production` reads it with its DOTENV_PRIVATE_KEY), or set the value itself with `envsafe set "+p.Name+"`")
	case strings.HasPrefix(p.Value, "ENC[") && strings.HasSuffix(p.Value, "]"):
		return hint.With(fmt.Errorf("%s (%s) is encrypted by sops, not a secret value", p.Name, from),
			"import the sops file it came from (`envsafe import secrets.enc.env` reads it with your age key), or set the value itself with `envsafe set "+p.Name+"`")
	}
	return nil
}

func readFileLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}

// adviseOnPlaintext reminds the user that the plaintext files still exist
// and, on a terminal, offers to keep .env files out of git.
func adviseOnPlaintext(d *Deps, s *store.Store, files []string) error {
	var plain []string
	for _, f := range files {
		if f != "-" {
			plain = append(plain, f)
		}
	}
	if len(plain) == 0 {
		return nil
	}
	d.say("The plaintext is still on disk: check with `envsafe ls`, then delete it (%s).", hint.DeleteFiles(plain...))
	gitignore := filepath.Join(s.Root(), ".gitignore")
	if ignoresDotenv(gitignore) {
		return nil
	}
	d.say("Keep .env files out of git: add .env and .env.* to the project's .gitignore.")
	if !d.StdinIsTTY {
		return nil
	}
	ok, err := d.Prompter.Confirm("Add .env and .env.* to .gitignore now")
	if err != nil || !ok {
		return err
	}
	return appendGitignore(gitignore)
}

// ignoresDotenv is a plain reading of .gitignore: does a line ignore .env
// and .env.*? (Not .env* — that would also hide .envsafe/ from git.)
func ignoresDotenv(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	has := func(patterns ...string) bool {
		return slices.ContainsFunc(lines, func(l string) bool { return slices.Contains(patterns, strings.TrimSpace(l)) })
	}
	return has(".env*", "/.env*") || (has(".env", "/.env") && has(".env.*", "/.env.*"))
}

// appendGitignore adds the lines among .env and .env.* that .gitignore
// lacks, so a .gitignore that already ignores .env does not get it twice.
func appendGitignore(path string) error {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	var missing []string
	for _, want := range []string{".env", ".env.*"} {
		if !slices.ContainsFunc(lines, func(l string) bool { l = strings.TrimSpace(l); return l == want || l == "/"+want }) {
			missing = append(missing, want)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	var add strings.Builder
	if len(data) > 0 && !strings.HasSuffix(string(data), "\n") {
		add.WriteString("\n")
	}
	add.WriteString("# plaintext secrets stay out of git; envsafe keeps them in .envsafe/\n")
	for _, line := range missing {
		add.WriteString(line + "\n")
	}
	_, err = f.WriteString(add.String())
	return err
}
