// Command winhelper is the program the wine lane (wine_test.go, make
// test-windows) starts with `envsafe.exe run`, built for windows/amd64:
//
//	winhelper args ARG...          prints its arguments as a JSON array
//	winhelper env NAME...          prints NAME=VALUE for every variable whose
//	                               name equals NAME without regard to case
//	winhelper exit CODE            exits with CODE
//	winhelper interrupt CODE       prints "ready", then exits with CODE on
//	                               Ctrl-C, or 7 when stdin closes
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		os.Exit(2)
	}
	switch os.Args[1] {
	case "args":
		json.NewEncoder(os.Stdout).Encode(os.Args[2:])
	case "env":
		for _, kv := range os.Environ() {
			name, _, _ := strings.Cut(kv, "=")
			for _, want := range os.Args[2:] {
				if strings.EqualFold(name, want) {
					fmt.Println(kv)
				}
			}
		}
	case "exit":
		code, _ := strconv.Atoi(os.Args[2])
		os.Exit(code)
	case "interrupt":
		code, _ := strconv.Atoi(os.Args[2])
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, os.Interrupt)
		eof := make(chan bool)
		go func() { io.Copy(io.Discard, os.Stdin); close(eof) }()
		fmt.Println("ready")
		select {
		case <-sigs:
			os.Exit(code)
		case <-eof:
			os.Exit(7)
		}
	default:
		os.Exit(2)
	}
}
