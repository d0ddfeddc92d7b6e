package commands

import (
	"fmt"
	"runtime"

	"github.com/urfave/cli/v2"
)

func newVersionCmd(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print envsafe's version",
		Description: `Examples:
   envsafe version`,
		Action: func(c *cli.Context) error { return printVersion(d) },
	}
}

// printVersion is `envsafe version`, `envsafe --version` and `envsafe -v`.
func printVersion(d *Deps) error {
	_, err := fmt.Fprintf(d.Stdout, "envsafe %s (%s, %s/%s)\n", d.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
