//go:build linux

package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// floodLimit is the RLIMIT_NOFILE of the child serving the flood: fewer
// descriptors than the flood has connections.
const floodLimit = 64

// TestServeFloodChild is the child process of TestServeDescriptorFlood;
// run alone it does nothing.
func TestServeFloodChild(t *testing.T) {
	mode := os.Getenv("HERALD_FLOOD_CHILD")
	if mode == "" {
		t.Skip("the child of TestServeDescriptorFlood")
	}
	// Go raised the soft limit to the hard one at start-up: lower both.
	rl := syscall.Rlimit{Cur: floodLimit, Max: floodLimit}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		fmt.Println("SETRLIMIT", err)
		os.Exit(2)
	}
	noFast, capped, _ := strings.Cut(mode, ",")
	s := newServer(t, Options{NoFastPath: noFast == "nethttp"})
	if capped == "uncapped" {
		// Accept runs into EMFILE instead of the cap.
		s.maxConns = math.MaxInt
	}
	s.Publish(Snapshot{Pages: testPages(""), MaxAge: time.Minute})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("LISTEN", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { io.Copy(io.Discard, os.Stdin); cancel() }() // the parent closes stdin to stop us
	fmt.Printf("ADDR %s CAP %d\n", ln.Addr(), s.maxConns)
	if err := s.Serve(ctx, ln); err != nil {
		fmt.Println("SERVE", err)
		os.Exit(1)
	}
	fmt.Println("SERVE OK")
	os.Exit(0)
}

// TestServeDescriptorFlood runs a server limited to 64 file descriptors
// in a child process and sends it more connections than that: each
// keep-alive connection that got its answer and stays open, then
// connections that send nothing. Every connection of the first kind
// must be answered (the longest-idle ones are closed to make room), the
// server must answer a fresh request after the flood, and it must not
// have exited. Uncapped, the server runs out of descriptors (EMFILE)
// instead of reaching its cap; that too must pass.
func TestServeDescriptorFlood(t *testing.T) {
	if os.Getenv("HERALD_FLOOD_CHILD") != "" {
		t.Skip("in the child")
	}
	const flood = 2 * floodLimit
	for _, mode := range []string{"fast,capped", "fast,uncapped", "nethttp,capped", "nethttp,uncapped"} {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestServeFloodChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), "HERALD_FLOOD_CHILD="+mode)
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{}) // closed when the child has exited, with waitErr
			var waitErr error
			out := bufio.NewScanner(stdout)
			var addr string
			for out.Scan() {
				if rest, ok := strings.CutPrefix(out.Text(), "ADDR "); ok {
					addr, _, _ = strings.Cut(rest, " ")
					t.Logf("child: %s", out.Text())
					break
				}
				t.Logf("child: %s", out.Text())
			}
			if addr == "" {
				err := cmd.Wait()
				t.Fatalf("child gave no address (%v); stderr:\n%s", err, stderr.String())
			}
			var rest strings.Builder
			go func() {
				for out.Scan() {
					rest.WriteString(out.Text() + "\n")
				}
				waitErr = cmd.Wait()
				close(exited)
			}()
			defer func() {
				select {
				case <-exited:
				default:
					cmd.Process.Kill()
					<-exited
				}
			}()

			get := func(c net.Conn) error {
				c.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := io.WriteString(c, "GET /world.rss HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
					return err
				}
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				if _, err := io.Copy(io.Discard, resp.Body); err != nil {
					return err
				}
				if resp.StatusCode != http.StatusOK {
					return fmt.Errorf("status %d", resp.StatusCode)
				}
				return nil
			}
			var conns []net.Conn
			release := func() {
				for _, c := range conns {
					c.Close()
				}
				conns = nil
			}
			defer release()
			start := time.Now()
			answered := 0
			for i := range flood {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatalf("dial %d: %v", i, err)
				}
				conns = append(conns, c)
				if err := get(c); err != nil {
					t.Errorf("keep-alive connection %d: %v", i, err)
					break
				}
				answered++
			}
			t.Logf("%s: %d of %d keep-alive connections answered in %v with RLIMIT_NOFILE %d", mode, answered, flood, time.Since(start).Round(time.Millisecond), floodLimit)
			release()
			// Silent connections hold descriptors and are not idle.
			for i := range flood {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatalf("silent dial %d: %v", i, err)
				}
				conns = append(conns, c)
			}
			release()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := get(c); err != nil {
				t.Errorf("fresh request after the flood: %v", err)
			}
			select {
			case <-exited:
				t.Fatalf("child exited during the flood: %v\n%s\nstderr:\n%s", waitErr, rest.String(), stderr.String())
			default:
			}
			stdin.Close()
			<-exited
			if waitErr != nil {
				t.Errorf("child: %v\n%s\nstderr:\n%s", waitErr, rest.String(), stderr.String())
			}
			if !strings.Contains(rest.String(), "SERVE OK") {
				t.Errorf("child did not shut down cleanly:\n%s\nstderr:\n%s", rest.String(), stderr.String())
			}
		})
	}
}
