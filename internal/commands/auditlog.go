package commands

import (
	"github.com/envsafe/envsafe/internal/audit"
	"github.com/envsafe/envsafe/internal/payload"
)

// auditScope is what a command tells the audit log about the decryptions
// it makes: its name, and for a command that reads one secret (get NAME)
// that name alone. Commands pass it explicitly; nothing is inferred.
type auditScope struct {
	command string
	only    string
}

// audited is the scope of a command that uses every secret it decrypts.
func audited(command string) auditScope { return auditScope{command: command} }

// auditDecrypt logs that a command decrypted env: every name in the file,
// or only sc.only when the command reads one secret.
func (d *Deps) auditDecrypt(project, env string, p *payload.Payload, sc auditScope) {
	if sc.only != "" {
		var names []string
		if _, ok := p.Secrets[sc.only]; ok {
			names = []string{sc.only}
		}
		d.auditRecord(project, env, names, len(names), sc)
		return
	}
	// A large environment is recorded by count only: measure before
	// collecting, so `run` on 10,000 secrets does not build a list for
	// nothing.
	total := 0
	for name := range p.Secrets {
		total += len(name) + 3
	}
	var names []string
	if total <= audit.MaxNamesBytes {
		names = make([]string, 0, len(p.Secrets))
		for name := range p.Secrets {
			names = append(names, name)
		}
	}
	d.auditRecord(project, env, names, len(p.Secrets), sc)
}

// auditRecord appends one line to the audit log: names (possibly left
// out) of count secrets. A failure never stops the command: the log reports
// it once per process, on stderr.
func (d *Deps) auditRecord(project, env string, names []string, count int, sc auditScope) {
	if d.Audit == nil {
		return
	}
	command := sc.command
	if command == "" {
		command = "envsafe"
	}
	e := audit.NewEntry(d.Now(), project, env, command, names)
	e.Count = count
	if err := d.Audit.Append(e); err != nil && d.Audit.FirstFailure() {
		d.warn("could not write the audit log (%s): %v", d.Audit.Path(), err)
	}
}
