// Command noop does nothing: the child bench/run.sh's exec floor starts.
package main

func main() {}
