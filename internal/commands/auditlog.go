package commands

import (
	"strings"

	"github.com/envsafe/envsafe/internal/audit"
	"github.com/envsafe/envsafe/internal/payload"
	"github.com/urfave/cli/v2"
)

// setCommandNames records, before each command's action, which command
// runs and with what arguments, for the audit log.
func setCommandNames(d *Deps, c *cli.Command, parent string) {
	path := strings.TrimSpace(parent + " " + c.Name)
	if len(c.Subcommands) == 0 {
		before := c.Before
		c.Before = func(cc *cli.Context) error {
			d.command, d.args = path, cc.Args().Slice()
			if before != nil {
				return before(cc)
			}
			return nil
		}
	}
	for _, sub := range c.Subcommands {
		setCommandNames(d, sub, path)
	}
}

// auditDecrypt logs that the running command decrypted env. Every name in
// the file is recorded as touched, except for `get NAME`, which reads one.
func (d *Deps) auditDecrypt(project, env string, p *payload.Payload) {
	var names []string
	if d.command == "get" && len(d.args) == 1 {
		if _, ok := p.Secrets[d.args[0]]; ok {
			names = d.args[:1]
		}
		d.auditRecord(project, env, names, len(names))
		return
	}
	// A large environment is recorded by count only: measure before
	// collecting, so `run` on 10,000 secrets does not build a list for
	// nothing.
	total := 0
	for name := range p.Secrets {
		total += len(name) + 3
	}
	if total <= audit.MaxNamesBytes {
		names = make([]string, 0, len(p.Secrets))
		for name := range p.Secrets {
			names = append(names, name)
		}
	}
	d.auditRecord(project, env, names, len(p.Secrets))
}

// auditRecord appends one line to the audit log: names (possibly left
// out) of count secrets. A failure never stops the command: it is reported
// once per process, on stderr.
func (d *Deps) auditRecord(project, env string, names []string, count int) {
	if d.Audit == nil {
		return
	}
	command := d.command
	if command == "" {
		command = "envsafe"
	}
	e := audit.NewEntry(d.Now(), project, env, command, names)
	e.Count = count
	if err := d.Audit.Append(e); err != nil && !d.auditWarned {
		d.auditWarned = true
		d.warn("could not write the audit log (%s): %v", d.Audit.Path(), err)
	}
}
