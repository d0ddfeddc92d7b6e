// Package exportfmt renders decrypted secrets in the formats other tools
// read: dotenv, JSON, POSIX shell and docker's --env-file. Each format
// either carries every value exactly or refuses, naming the secrets it
// cannot carry — never silently changing one.
package exportfmt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/envsafe/envsafe/internal/dotenv"
	"github.com/envsafe/envsafe/internal/shellquote"
)

// FormatNames lists the accepted --format values, for help and errors.
const FormatNames = "dotenv, json, shell, docker"

// Secret is a name and value in the order they should be written.
type Secret struct{ Name, Value string }

// Write renders secrets in format to w. Nothing is written when any value
// cannot be carried.
func Write(w io.Writer, format string, secrets []Secret) error {
	var buf bytes.Buffer
	var err error
	switch format {
	case "dotenv":
		err = writeDotenv(&buf, secrets)
	case "json":
		err = writeJSON(&buf, secrets)
	case "shell":
		err = writeShell(&buf, secrets)
	case "docker":
		err = writeDocker(&buf, secrets)
	default:
		return fmt.Errorf("unknown format %q: use one of %s", format, FormatNames)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func writeDotenv(w io.Writer, secrets []Secret) error {
	pairs := make([]dotenv.Pair, len(secrets))
	for i, s := range secrets {
		pairs[i] = dotenv.Pair{Name: s.Name, Value: s.Value}
	}
	err := dotenv.Write(w, pairs)
	var unwritable *dotenv.UnwritableError
	if errors.As(err, &unwritable) {
		return fmt.Errorf("%w (try --format json or shell)", err)
	}
	return err
}

func writeJSON(w io.Writer, secrets []Secret) error {
	// Written by hand to keep the given (sorted) order rather than a map's.
	var buf bytes.Buffer
	buf.WriteString("{")
	for i, s := range secrets {
		if i > 0 {
			buf.WriteString(",")
		}
		buf.WriteString("\n  " + jsonString(s.Name) + ": " + jsonString(s.Value))
	}
	if len(secrets) > 0 {
		buf.WriteString("\n")
	}
	buf.WriteString("}\n")
	_, err := w.Write(buf.Bytes())
	return err
}

// jsonString quotes s as JSON without escaping <, > and &, which are
// ordinary characters in a secret.
func jsonString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(buf.String(), "\n")
}

// writeShell emits `export NAME='value'` lines, quoted by the one
// shell-quoting helper, so that bash, zsh and dash take every byte literally.
// A name such as app.name or MY-KEY, which programs read from the
// environment but no shell can assign, is refused by name: there is no
// quoting for a name.
func writeShell(w io.Writer, secrets []Secret) error {
	var refused []string
	for _, s := range secrets {
		if !shellName(s.Name) {
			refused = append(refused, s.Name)
		}
	}
	if len(refused) > 0 {
		return fmt.Errorf("a POSIX shell cannot assign %s: shell variable names are letters, digits and _, not starting with a digit (use --format dotenv, json or docker for these, or envsafe run to pass them to a program)",
			strings.Join(refused, ", "))
	}
	for _, s := range secrets {
		fmt.Fprintf(w, "export %s=%s\n", s.Name, shellquote.Quote(s.Value))
	}
	return nil
}

// shellName reports whether a POSIX shell can assign name:
// [A-Za-z_][A-Za-z0-9_]*.
func shellName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		letter := c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
		if !letter && !(i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return name != ""
}

// writeDocker emits docker's --env-file format: NAME=value taken literally
// to the end of the line, so a value cannot hold a line break.
func writeDocker(w io.Writer, secrets []Secret) error {
	var refused []string
	for _, s := range secrets {
		if strings.ContainsAny(s.Value, "\r\n") {
			refused = append(refused, s.Name)
		}
	}
	if len(refused) > 0 {
		return fmt.Errorf("docker --env-file cannot hold a line break, found in the value of %s (use --format dotenv or json for these)", strings.Join(refused, ", "))
	}
	for _, s := range secrets {
		fmt.Fprintf(w, "%s=%s\n", s.Name, s.Value)
	}
	return nil
}
