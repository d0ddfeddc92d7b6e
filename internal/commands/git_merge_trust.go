package commands

import (
	"context"
	"fmt"
	"os"

	"github.com/envsafe/envsafe/internal/atomicfile"
	"github.com/envsafe/envsafe/internal/hint"
	"github.com/envsafe/envsafe/internal/store"
	"github.com/envsafe/envsafe/internal/trust"
	"github.com/urfave/cli/v2"
)

func newGitMergeTrustCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "merge-trust",
		Usage:     "merge of the signed roster, .envsafe/team.sig (called by git)",
		ArgsUsage: "BASE OURS THEIRS PATH",
		Hidden:    true,
		Action: func(c *cli.Context) error {
			if c.NArg() != 4 {
				return usagef("git merge-trust", "git merge-trust takes BASE OURS THEIRS PATH (%%O %%A %%B %%P)")
			}
			a := c.Args().Slice()
			return runGitMergeTrust(c.Context, d, a[1], a[2], a[3])
		},
	}
}

// runGitMergeTrust merges two signed rosters without ever mixing them: each
// side must verify against this machine's pin; the side whose admin log
// extends the other's, with a roster version at least as high, is taken
// whole. Two rosters changed on both branches are a conflict an admin
// settles by merging team.yaml and signing it (trust apply).
func runGitMergeTrust(ctx context.Context, d *Deps, oursPath, theirsPath, path string) error {
	s, id, err := d.openProject(ctx, audited("git merge-trust"))
	if err != nil {
		return err
	}
	pin, err := d.trustPin(s, id)
	if err != nil {
		return err
	}
	states := store.StateDir(d.TrustStates)
	side := func(file string) (*trust.Verified, []byte, error) {
		data, err := os.ReadFile(resolvePath(d, file))
		if err != nil {
			return nil, nil, err
		}
		// Each side is judged against the pin alone: a side may be older
		// than what this machine used (the branch being brought up to
		// date); the result may not (checked below).
		v, err := trust.Verify(data, pin, trust.State{})
		return v, data, err
	}
	st, err := states.Load(pin.Project)
	if err != nil {
		return err
	}
	ours, oursData, err := side(oursPath)
	if err != nil {
		return fmt.Errorf("%w in %s: our side does not verify: %w", errMergeConflict, path, err)
	}
	theirs, theirsData, err := side(theirsPath)
	if err != nil {
		return hint.With(fmt.Errorf("%w in %s: the other side does not verify (%w); yours is kept", errMergeConflict, path, err),
			"find who wrote it (`git log -p --all -- "+path+"`) before you merge anything from that branch")
	}
	newest := max(ours.Roster.Version, theirs.Roster.Version)
	if newest < st.RosterVersion {
		return fmt.Errorf("%w in %s: both sides are older than the roster this machine used (version %d)", errMergeConflict, path, st.RosterVersion)
	}
	switch {
	case string(oursData) == string(theirsData), extends(ours, oursData, theirs):
		d.say("envsafe: %s: keeping ours (roster version %d)", path, ours.Roster.Version)
		return nil
	case extends(theirs, theirsData, ours):
		if err := atomicfile.Write(resolvePath(d, oursPath), theirsData, 0o644); err != nil {
			return err
		}
		d.say("envsafe: %s: taking theirs (roster version %d, after ours)", path, theirs.Roster.Version)
		return nil
	}
	return hint.With(fmt.Errorf("%w in %s: the signed roster changed on both branches (versions %d and %d)", errMergeConflict, path, ours.Roster.Version, theirs.Roster.Version),
		"keep ours (`git checkout --ours "+path+"`), merge team.yaml by hand, and have an admin sign it with `envsafe trust apply`")
}

// extends reports whether a (team.sig aData) is b or later: a's admin log
// holds b's head at the same place, so b's log is a prefix of a's, and a's
// roster is b's or a later version. (Two versions N+1 signed from one N on
// two machines, or a later version that did not start from b's, cannot be
// told apart from the roster alone: an admin who signs N+2 on one branch
// after the other branch's N+1 is what the conflict asks for.)
func extends(a *trust.Verified, aData []byte, b *trust.Verified) bool {
	if a.Project != b.Project || a.Head.Index < b.Head.Index || a.Roster.Version < b.Roster.Version {
		return false
	}
	if a.Roster.Version == b.Roster.Version && a.RosterHash != b.RosterHash {
		return false // two rosters signed from one version: a fork, not a successor
	}
	f, err := trust.Parse(aData)
	if err != nil || b.Head.Index >= len(f.Log) {
		return false
	}
	return f.Log[b.Head.Index].Hash() == b.Head.Hash
}
