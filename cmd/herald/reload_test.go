package main

import (
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestServeReloadOnSIGHUP(t *testing.T) {
	cfg := site(t, "", map[string]string{"a.txt": "Reload story\n\nBody.\n"})
	base, _, logs := startServe(t, cfg)
	waitFor(t, "the feed", func() bool {
		_, body := get(t, base+"/world.rss")
		return strings.Contains(body, "<title>World</title>")
	})
	good, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}

	// An invalid config is reported and the running one stays.
	writeFile(t, cfg, string(good)+"bogus_key: 1\n")
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor(t, "the reload error", func() bool { return strings.Contains(logs.String(), "reload failed") })
	if !strings.Contains(logs.String(), "bogus_key") {
		t.Errorf("the reload error does not name the key:\n%s", logs.String())
	}
	if resp, body := get(t, base+"/world.rss"); resp.StatusCode != 200 || !strings.Contains(body, "Reload story") {
		t.Errorf("feed after a failed reload: %d", resp.StatusCode)
	}

	// A valid one takes effect, keeping the articles.
	writeFile(t, cfg, strings.Replace(string(good), "title: World", "title: Renamed world", 1))
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor(t, "the new title", func() bool {
		_, body := get(t, base+"/world.rss")
		return strings.Contains(body, "<title>Renamed world</title>") && strings.Contains(body, "Reload story")
	})
}
