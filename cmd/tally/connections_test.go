package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// tallyBinary builds tally once for the tests that run it as a process of
// its own (under its own resource limits, or to be killed).
func tallyBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "tally-bin-")
		if built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "tally")
		if out, err := exec.Command("go", "build", "-o", built.path, "tally/cmd/tally").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// process is tally serve running as a child process.
type process struct {
	cmd           *exec.Cmd
	addr, metrics string
	log           *syncBuffer
	exited        chan struct{}
	waitErr       error
}

// startProcess runs `tally serve` on dir under `ulimit -n fds` with extra
// flags, and waits until it is healthy.
func startProcess(t *testing.T, dir string, fds int, extra ...string) *process {
	t.Helper()
	p := &process{addr: freeAddr(t), metrics: freeAddr(t), log: &syncBuffer{}, exited: make(chan struct{})}
	args := append([]string{"serve", "--listen", p.addr, "--metrics-listen", p.metrics, "--data", dir, "--checkpoint", "1s"}, extra...)
	p.cmd = exec.Command("bash", "-c", fmt.Sprintf(`ulimit -n %d && exec "$0" "$@"`, fds), tallyBinary(t))
	p.cmd.Args = append(p.cmd.Args, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.waitErr = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { p.cmd.Process.Kill(); <-p.exited })
	waitHealthy(t, p.addr, p.log, p.exited, 20*time.Second)
	return p
}

// from returns an HTTP client whose connections come from the loopback
// address ip: another network than 127.0.0.1's as far as the server knows.
func from(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		}}}
}

// hold opens n connections from 127.0.0.1 that each send half a request's
// header and then nothing, as a slow-loris client does; it returns how many
// the kernel let it open.
func hold(t *testing.T, addr string, n int) (conns []net.Conn) {
	t.Helper()
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for range n {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			continue
		}
		c.Write([]byte("POST /api/event HTTP/1.1\r\nHost: x\r\nContent-Le"))
		conns = append(conns, c)
	}
	return conns
}

func postEvent(c *http.Client, addr string) (int, error) {
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/event", strings.NewReader(okEvent))
	req.Header.Set("User-Agent", firefoxUA)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestIdleConnectionFloods holds 2 000 idle connections against a server
// limited to 1 024 file descriptors. With the per-network bound, other
// networks are served during the flood; with bounds set above the
// descriptor limit, accept fails with "too many open files" and the server
// waits it out: it never exits, and serves once the flood ends.
func TestIdleConnectionFloods(t *testing.T) {
	dir := t.TempDir()
	tally(t, "site", "add", "example.com", "--data", dir)

	t.Run("per-network bound", func(t *testing.T) {
		p := startProcess(t, dir, 1024, "--max-connections-per-network", "100")
		flood := hold(t, p.addr, 2000)
		other := from("127.0.1.5")
		if code, err := postEvent(other, p.addr); err != nil || code != 202 {
			t.Fatalf("event from another network during the flood: %d %v", code, err)
		}
		resp, err := other.Get("http://" + p.addr + "/api/health")
		if err != nil {
			t.Fatalf("health during the flood: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("health during the flood: %d", resp.StatusCode)
		}
		m, _ := scrape(t, p.metrics)
		if open := m["tally_connections_open"]; open > 102 {
			t.Errorf("%v connections open, want at most 100 from the flood and ours", open)
		}
		if refused := m[`tally_connections_refused_total{bound="network"}`]; refused < float64(len(flood)-100) {
			t.Errorf("%v connections refused by the network bound, want at least %d", refused, len(flood)-100)
		}
	})

	t.Run("accept errors", func(t *testing.T) {
		p := startProcess(t, dir, 1024, "--max-connections", "5000", "--max-connections-per-network", "0")
		flood := hold(t, p.addr, 2000)
		time.Sleep(500 * time.Millisecond) // the server meets EMFILE and backs off
		select {
		case <-p.exited:
			t.Fatalf("tally serve exited during the flood: %v\n%s", p.waitErr, p.log)
		default:
		}
		for _, c := range flood {
			c.Close()
		}
		var code int
		var err error
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if code, err = postEvent(from("127.0.1.5"), p.addr); code == 202 {
				break
			}
		}
		if code != 202 {
			t.Fatalf("event after the flood: %d %v\n%s", code, err, p.log)
		}
		m, _ := scrape(t, p.metrics)
		if m["tally_accept_errors_total"] == 0 {
			t.Error("no accept error counted: the flood did not exhaust the descriptors, the test tests nothing")
		}
	})
}

// TestSIGTERMWithOpenConnections: clients that keep connections open (half
// a request, or idle keep-alive) cannot make the exit slow or a failure.
func TestSIGTERMWithOpenConnections(t *testing.T) {
	dir := t.TempDir()
	tally(t, "site", "add", "example.com", "--data", dir)
	p := startProcess(t, dir, 4096)
	hold(t, p.addr, 50)
	if code, err := postEvent(from("127.0.1.5"), p.addr); err != nil || code != 202 {
		t.Fatalf("event: %d %v", code, err)
	}
	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("still running 10 s after SIGTERM:\n%s", p.log)
	}
	if p.waitErr != nil {
		t.Errorf("exit after SIGTERM: %v, want success\n%s", p.waitErr, p.log)
	}
	t.Logf("exited %v after SIGTERM", time.Since(start).Round(time.Millisecond))
}
