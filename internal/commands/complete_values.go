package commands

import (
	"context"
	"strings"

	"github.com/envsafe/envsafe/internal/exportfmt"
	"github.com/envsafe/envsafe/internal/secretgen"
)

// What can be completed where: flag values, environment and member names,
// the secret names of an environment the user can decrypt. Never values.

// flagValues offers the values a flag can take.
func flagValues(ctx context.Context, d *Deps, flag string) []string {
	switch flag {
	case "env", "against":
		return envNames(d)
	case "charset":
		return secretgen.Charsets()
	case "format":
		return strings.Split(strings.ReplaceAll(exportfmt.FormatNames, " ", ""), ",")
	case "dialect":
		return []string{"node", "godotenv"}
	case "members":
		return memberNames(d)
	case "file", "output":
		return []string{completeFiles}
	}
	return nil
}

// positionals offers what the n-th argument of cmd can be.
func positionals(ctx context.Context, d *Deps, cmd string, n int, env string) []string {
	switch cmd {
	case "get", "rm", "set", "log":
		if (cmd == "get" || cmd == "log") && n > 0 {
			return nil
		}
		return secretNames(ctx, d, env)
	case "diff":
		if n < 2 {
			return envNames(d)
		}
	case "member rm":
		if n == 0 {
			return memberNames(d)
		}
	case "env rm":
		if n == 0 {
			return envNames(d)
		}
	case "completion":
		if n == 0 {
			return []string{"bash", "zsh", "fish", "powershell"}
		}
	case "import", "identity import", "run", "scan":
		return []string{completeFiles}
	}
	return nil
}

func envNames(d *Deps) []string {
	_, t, err := d.team(audited("__complete"))
	if err != nil {
		return nil
	}
	return t.EnvNames()
}

func memberNames(d *Deps) []string {
	_, t, err := d.team(audited("__complete"))
	if err != nil {
		return nil
	}
	var out []string
	for _, m := range t.Members {
		out = append(out, m.Name)
	}
	return out
}

// secretNames decrypts the environment to list names; any failure (no
// identity, no access, damaged file) offers nothing, silently.
func secretNames(ctx context.Context, d *Deps, env string) []string {
	s, err := d.project(audited("__complete"))
	if err != nil {
		return nil
	}
	if env == "" {
		if env, err = d.envName(s, ""); err != nil {
			return nil
		}
	}
	id, err := d.identity(ctx)
	if err != nil {
		return nil
	}
	p, err := s.Read(env, id.Identity)
	if err != nil {
		return nil
	}
	return p.Names()
}
