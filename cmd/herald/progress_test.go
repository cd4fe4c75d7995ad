package main

import (
	"strings"
	"testing"
)

// TestGenerateNotOnTerminal: stderr that is not a terminal gets plain log
// lines, no status line.
func TestGenerateNotOnTerminal(t *testing.T) {
	cfg := testSite(t, "", map[string]string{"a.txt": story})
	code, _, stderr := runCmd(t, "generate", "--config", cfg, "--out", t.TempDir())
	if code != 0 || strings.Contains(stderr, "\r") || strings.Contains(stderr, "collecting:") || !strings.Contains(stderr, "msg=collected source=articles count=1") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
