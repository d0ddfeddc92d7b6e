package commands

import (
	"fmt"
	"time"

	"github.com/envsafe/envsafe/internal/store"
)

// progressEvery is how often a progress line is rewritten.
const progressEvery = 100 * time.Millisecond

// progress shows how far long work has got on one stderr line that it
// rewrites, at most every progressEvery, and clears when the work ends. It
// is nil, and prints nothing, when stderr is not a terminal: a log or a pipe
// gets no carriage returns. It shows counts and names of environments or
// files, never a value.
type progress struct {
	d     *Deps
	last  time.Time
	shown bool
}

func (d *Deps) progress() *progress {
	if !d.StderrIsTTY {
		return nil
	}
	return &progress{d: d}
}

// show rewrites the line, unless it was written less than progressEvery
// ago (the first call always writes).
func (p *progress) show(format string, args ...any) {
	if p == nil {
		return
	}
	now := time.Now()
	if p.d.Now != nil {
		now = p.d.Now()
	}
	if p.shown && now.Sub(p.last) < progressEvery {
		return
	}
	p.last, p.shown = now, true
	fmt.Fprintf(p.d.Stderr, "\r\x1b[K"+format, args...)
}

// done clears the line, so what follows starts on a clean one.
func (p *progress) done() {
	if p == nil || !p.shown {
		return
	}
	fmt.Fprint(p.d.Stderr, "\r\x1b[K")
	p.shown = false
}

// envSteps is an Access.Progress that shows, under what (the command),
// each environment as it is read and written again; nil off a terminal.
func (p *progress) envSteps(what string) func(step, env string, done, total int) {
	if p == nil {
		return nil
	}
	return func(step, env string, done, total int) {
		p.show("%s: %s %s (%d of %d)", what, step, env, done+1, total)
	}
}

// cleared wraps a review so that the progress line is gone before it
// prints or asks anything.
func (p *progress) cleared(review func([]store.RecipientChange) error) func([]store.RecipientChange) error {
	return func(c []store.RecipientChange) error {
		p.done()
		return review(c)
	}
}
