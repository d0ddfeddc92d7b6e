package commands

import (
	"strconv"
	"strings"

	"github.com/envsafe/envsafe/internal/payload"
	"github.com/envsafe/envsafe/internal/secretgen"
)

// generatedValues makes a fresh random value for each NAME of `set NAME...
// --generate [LEN]`. LEN is the argument that is a whole number; a name
// may start with a digit (1ST) but is never all digits here. The values
// are never printed.
func generatedValues(_ *Deps, o setOpts) ([][2]string, error) {
	if o.file != "" {
		return nil, usagef("set", "choose one of --generate and --file")
	}
	length, lengthSet := secretgen.DefaultLength, false
	var names []string
	for _, arg := range o.args {
		if n, err := strconv.Atoi(arg); err == nil {
			if lengthSet {
				return nil, usagef("set", "--generate takes one length, a number of characters (got %q)", arg)
			}
			length, lengthSet = n, true
			continue
		}
		if strings.Contains(arg, "=") {
			return nil, usagef("set", "--generate makes the values: give names only, not %s=...", strings.SplitN(arg, "=", 2)[0])
		}
		if err := payload.ValidateName(arg); err != nil {
			return nil, usagef("set", "%v", err)
		}
		for _, seen := range names {
			if seen == arg {
				return nil, usagef("set", "%s is given twice", arg)
			}
		}
		names = append(names, arg)
	}
	if len(names) == 0 {
		return nil, usagef("set", "name the secrets to generate: envsafe set NAME --generate [LEN]")
	}
	if length < secretgen.MinLength || length > secretgen.MaxLength {
		return nil, usagef("set", "a generated value is %d to %d characters long, not %d", secretgen.MinLength, secretgen.MaxLength, length)
	}
	if _, err := secretgen.Alphabet(o.charset); err != nil {
		return nil, usagef("set", "--charset: %v", err)
	}
	values := make([][2]string, 0, len(names))
	for _, name := range names {
		v, err := secretgen.Generate(o.charset, length)
		if err != nil {
			return nil, err
		}
		values = append(values, [2]string{name, v})
	}
	return values, nil
}

// sayGenerated describes what was generated, never the value.
func sayGenerated(d *Deps, o setOpts, n int) {
	length := secretgen.DefaultLength
	for _, arg := range o.args {
		if v, err := strconv.Atoi(arg); err == nil {
			length = v
		}
	}
	each := ""
	if n > 1 {
		each = " each"
	}
	d.say("Generated %s of %d %s characters (%d bits of entropy%s); not shown: `envsafe get NAME` prints it.",
		plural(n, "random value"), length, o.charset, secretgen.Bits(o.charset, length), each)
}
