package main

// version and commit are stamped at build time:
//
//	go build -ldflags "-X main.version=1.2.0 -X main.commit=$(git rev-parse --short HEAD)" ./cmd/herald
//
// Left unstamped, internal/app falls back to what the Go toolchain
// recorded (app.BuildInfo).
var (
	version = ""
	commit  = ""
)
