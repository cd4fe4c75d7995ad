package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportRules keeps the package picture of STYLE.md true: feed imports
// nothing of ours, sources only feed, and the internal building blocks
// stay independent of each other except where listed.
func TestImportRules(t *testing.T) {
	const mod = "github.com/heraldfeed/herald/"
	allowed := map[string][]string{
		"feed":                           {},
		"sources":                        {"feed", "sources/extract"},
		"sources/extract":                {"feed"},
		"sources/local":                  {"feed", "sources", "sources/extract"},
		"sources/upstream":               {"feed", "sources", "sources/extract"},
		"sources/webpage":                {"feed", "sources", "sources/extract"},
		"sources/sourcetest":             {"feed", "sources"},
		"internal/scheduler":             {},
		"internal/server":                {"feed"},
		"internal/config":                {"feed", "internal/scheduler"},
		"internal/collect":               {"feed", "sources", "internal/store"},
		"internal/store":                 {"feed", "sources"},
		"internal/store/sqlite":          {"feed", "internal/store"},
		"internal/store/postgres":        {"feed", "internal/store"},
		"internal/store/postgres/pgtest": {"internal/testrun"},
		"internal/testrun":               {},
		"internal/store/storetest":       {"feed", "sources", "internal/store"},
		"internal/replica":               {"feed", "internal/store", "internal/server"},
		"internal/site":                  {"feed", "internal/store"},
		"internal/websub":                {},
		"internal/smallfs":               {},
		"internal/watch":                 {},
		"internal/app": {"feed", "sources", "sources/local", "sources/upstream", "sources/webpage",
			"internal/collect", "internal/config", "internal/replica", "internal/scheduler", "internal/server",
			"internal/site", "internal/store", "internal/store/postgres", "internal/store/sqlite",
			"internal/watch", "internal/websub"},
		// The command line: flags, exit codes, help; everything else is
		// the application's.
		"cmd/herald": {"internal/app"},
	}
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "../../...").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], mod)
		allow, ok := allowed[pkg]
		if !ok {
			t.Errorf("package %s has no place in the import rules: add it", pkg)
			continue
		}
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, mod) {
				continue
			}
			dep := strings.TrimPrefix(imp, mod)
			if !contains(allow, dep) {
				t.Errorf("%s imports %s; allowed: %v", pkg, dep, allow)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
