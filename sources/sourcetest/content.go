package sourcetest

import (
	"strings"
	"testing"
)

// KeepsAndCuts fails t for each of keep that content lacks and each of
// cut that it still has: what a cleaning test of a source asserts.
func KeepsAndCuts(t testing.TB, content string, keep, cut []string) {
	t.Helper()
	for _, k := range keep {
		if !strings.Contains(content, k) {
			t.Errorf("content lost %q: %q", k, content)
		}
	}
	for _, c := range cut {
		if strings.Contains(content, c) {
			t.Errorf("content keeps %q: %q", c, content)
		}
	}
}
