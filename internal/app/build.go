package app

import (
	"runtime"
	"runtime/debug"
	"sync/atomic"
)

// stamp is the version and commit cmd/herald was stamped with at build
// time (Stamp); left empty, BuildInfo falls back to what the Go toolchain
// recorded: the module version under `go install …@v1.2.0`, the VCS
// revision when built from a checkout. Atomic, as every run stamps it
// (tests run commands at once in one process).
var stamp atomic.Pointer[[2]string]

// Stamp records the version and commit the binary was built with, before
// any command runs.
func Stamp(v, c string) { stamp.Store(&[2]string{v, c}) }

// Build is what `herald version`, /healthz and herald_build_info report.
type Build struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"go_version"`
}

// BuildInfo is the running binary's Build.
func BuildInfo() Build {
	b := Build{GoVersion: runtime.Version()}
	if s := stamp.Load(); s != nil {
		b.Version, b.Commit = s[0], s[1]
	}
	info, ok := debug.ReadBuildInfo()
	if ok && b.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		b.Version = info.Main.Version
	}
	if ok && b.Commit == "" {
		var rev, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" && modified == "true" {
			rev += "-dirty"
		}
		b.Commit = rev
	}
	if b.Version == "" {
		b.Version = "devel"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}
