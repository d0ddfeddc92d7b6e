package commands

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestEveryCommandHasExamples keeps `--help` useful: each visible command
// shows at least one example.
func TestEveryCommandHasExamples(t *testing.T) {
	app := NewApp(newHarness(t).deps)
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			if c.Hidden || c.Name == "help" {
				continue
			}
			name := strings.TrimSpace(prefix + " " + c.Name)
			if !strings.Contains(c.Description, "Examples:") {
				t.Errorf("envsafe %s --help shows no examples", name)
			}
			walk(name, c.Subcommands)
		}
	}
	walk("", app.Commands)
}
