// Package smallfs mounts small tmpfs file systems for the disk-full tests
// of the packages that write (the output folder, the store, generate).
// It is for tests only and imports nothing of ours.
package smallfs

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// Mount mounts a tmpfs of size bytes on a new temporary folder, unmounted
// when the test ends, and returns the folder. Without root or a working
// mount it skips the test, saying why (CI runs as root, so there it runs).
func Mount(t testing.TB, size int) string {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		t.Skip("disk-full test: needs root to mount a small tmpfs (CI runs as root)")
	}
	cmd := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("disk-full test: cannot mount a tmpfs here: %v: %s", err, out)
	}
	t.Cleanup(func() {
		for range 50 {
			if exec.Command("umount", dir).Run() == nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Errorf("cannot unmount %s", dir)
	})
	return dir
}
