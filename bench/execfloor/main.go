// execfloor measures what the kernel charges to start a program with N
// extra environment variables, whoever starts it: it builds N variables
// like envsafe's and execs a no-op child. bench/run.sh reports it beside
// `envsafe run`, because at 10,000 secrets this cost dominates and no
// tool that passes secrets as environment variables can avoid it.
package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	env := os.Environ()
	value := strings.Repeat("v", 40)
	for i := range n {
		env = append(env, "SECRET_"+strconv.Itoa(100000+i)+"="+value)
	}
	err := syscall.Exec(os.Args[2], os.Args[2:], env)
	os.Stderr.WriteString(err.Error() + "\n")
	os.Exit(1)
}
