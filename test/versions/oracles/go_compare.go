// Reads "A<TAB>B" lines on stdin, prints <, = or > per line with golang.org/x/mod/semver, "!" if
// either is invalid. OSV writes Go versions without the "v", so one is added when missing. Built by
// the test from a copy of the semver package vendored in the Go toolchain (GOROOT/src/cmd/vendor).
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"oracle/semver"
)

func withV(s string) string {
	if strings.HasPrefix(s, "v") {
		return s
	}
	return "v" + s
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		parts := strings.SplitN(in.Text(), "\t", 2)
		a, b := withV(parts[0]), withV(parts[1])
		if !semver.IsValid(a) || !semver.IsValid(b) {
			fmt.Fprintln(out, "!")
			continue
		}
		switch r := semver.Compare(a, b); {
		case r < 0:
			fmt.Fprintln(out, "<")
		case r > 0:
			fmt.Fprintln(out, ">")
		default:
			fmt.Fprintln(out, "=")
		}
	}
}
