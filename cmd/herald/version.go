package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version and commit are stamped at build time:
//
//	go build -ldflags "-X main.version=1.2.0 -X main.commit=$(git rev-parse --short HEAD)" ./cmd/herald
//
// Left unstamped, buildInfo falls back to what the Go toolchain recorded:
// the module version under `go install …@v1.2.0`, the VCS revision when
// built from a checkout.
var (
	version = ""
	commit  = ""
)

// build is what `herald version`, /healthz and herald_build_info report.
type build struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"go_version"`
}

func buildInfo() build {
	b := build{Version: version, Commit: commit, GoVersion: runtime.Version()}
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

// printVersion is `herald version` and `herald --version`.
func printVersion(w io.Writer) {
	b := buildInfo()
	fmt.Fprintf(w, "herald %s (commit %s, %s)\n", b.Version, b.Commit, b.GoVersion)
}
