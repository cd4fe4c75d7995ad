// Package testrun holds what a TestMain of ours sets before m.Run. It is
// imported by tests and test-support packages only.
package testrun

import (
	"flag"
	"runtime"
	"strconv"
)

// Parallel lets perCPU parallel tests per CPU run at once, unless
// -test.parallel was given. For packages whose parallel tests mostly
// wait (on timeouts, leases, child processes), where the default of one
// per CPU leaves the CPUs idle while the rest queue. It parses the flags.
func Parallel(perCPU int) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		flag.Set("test.parallel", strconv.Itoa(perCPU*runtime.GOMAXPROCS(0)))
	}
}
