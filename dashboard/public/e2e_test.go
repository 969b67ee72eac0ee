package public

// The "done when", end to end: the real binary publishes a site,
// the hostile dataset arrives as real events over HTTP through the
// collector's privacy pipeline, and the public views are read over HTTP.

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	chromeUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/537.36"
	operaUA  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0"
)

type tallyBinary struct {
	bin, data string
}

func buildTally(t *testing.T) *tallyBinary {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "tally")
	out, err := exec.Command("go", "build", "-o", bin, "tally/cmd/tally").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/tally: %v\n%s", err, out)
	}
	return &tallyBinary{bin: bin, data: filepath.Join(dir, "data")}
}

func (b *tallyBinary) run(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(b.bin, append(args, "--data", b.data)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tally %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// serve starts `tally serve` and returns its base URL and the log buffer.
func (b *tallyBinary) serve(t *testing.T) (string, *bytes.Buffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var log bytes.Buffer
	cmd := exec.Command(b.bin, "serve", "--data", b.data, "--listen", addr,
		"--trusted-proxies", "127.0.0.1", "--checkpoint", "200ms", "--retention", "25mo")
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
		}
	})
	url := "http://" + addr
	for deadline := time.Now().Add(15 * time.Second); ; {
		if resp, err := http.Get(url + "/api/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return url, &log
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("tally serve did not come up:\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func sendEvent(t *testing.T, base, ip, ua, page, referrer string) {
	t.Helper()
	body := fmt.Sprintf(`{"n":"pageview","u":"https://hostile.example%s","d":"hostile.example","r":%q,"w":1440}`, page, referrer)
	req, _ := http.NewRequest("POST", base+"/api/event", strings.NewReader(body))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("User-Agent", ua)
	req.Header.Set("X-Forwarded-For", ip)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("POST /api/event: %d", resp.StatusCode)
	}
}

func TestDoneWhen(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the tally binary")
	}
	tb := buildTally(t)
	tb.run(t, "site", "add", "hostile.example")
	out := tb.run(t, "site", "publish", "hostile.example")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	sharePath := lines[len(lines)-1]
	if !strings.HasPrefix(sharePath, "/share/") || len(sharePath) < len("/share/")+20 {
		t.Fatalf("tally site publish printed %q on its last line, want /share/<unguessable slug>", sharePath)
	}
	base, log := tb.serve(t)

	var ips []string
	for i := range 12 {
		ip := fmt.Sprintf("198.51.%d.7", 10+i) // distinct /24s: distinct visitors
		ips = append(ips, ip)
		sendEvent(t, base, ip, chromeUA, "/pricing", "https://www.google.com/")
	}
	lonerIP := "203.0.113.99"
	sendEvent(t, base, lonerIP, operaUA, "/internal/alice-secret-page", "https://alice-private-blog.example/links")

	// Public views cover closed days only: today's visitors show nowhere
	// yet, a poll later in the day sees the same bytes, and the running
	// month has no report. (Reports with data are tested in process, on a
	// fake clock: handler_test.go, closed_test.go.)
	month := time.Now().UTC().Format("2006-01")
	lastMonth := time.Now().UTC().AddDate(0, 0, 1-time.Now().UTC().Day()).AddDate(0, -1, 0).Format("2006-01")
	forbidden := append([]string{lonerIP, "203.0.113", chromeUA, operaUA, "OPR/"}, lonerValues...)
	forbidden = append(forbidden, ips...)
	pages := map[string]string{}
	paths := []string{"", "?range=30d", "/report/" + lastMonth + ".html", "/report/" + lastMonth + ".json", "/report/" + lastMonth + ".csv"}
	for _, p := range paths {
		code, _, body := get(t, base+sharePath+p)
		if code != 200 {
			t.Errorf("GET %s: %d %s", sharePath+p, code, body)
			continue
		}
		pages[p] = body
		if strings.Contains(body, "/pricing") {
			t.Errorf("GET %s shows today's /pricing", sharePath+p)
		}
		assertNone(t, "GET "+sharePath+p, body, forbidden)
	}
	if js := pages["/report/"+lastMonth+".json"]; js != "" {
		validateReport(t, []byte(js))
	}
	for range 20 {
		sendEvent(t, base, fmt.Sprintf("198.51.%d.8", 40+len(ips)), chromeUA, "/pricing", "")
		ips = append(ips, fmt.Sprintf("198.51.%d.8", 40+len(ips)))
	}
	time.Sleep(time.Second) // past several checkpoints (--checkpoint 200ms)
	for _, p := range paths {
		if _, _, body := get(t, base+sharePath+p); body != pages[p] {
			t.Errorf("GET %s changed during the day", sharePath+p)
		}
	}
	if code, _, _ := get(t, base+sharePath+"/report/"+month+".json"); code != 404 {
		t.Errorf("the running month's report: %d, want 404", code)
	}

	if code, _, body := post(t, base+"/api/v2/query", `{"site_id":"hostile.example","metrics":["visitors"],"date_range":"30d"}`); code != 401 {
		t.Errorf("Stats API without a key: %d %s, want 401", code, body)
	}
	if code, _, body := get(t, base+"/privacy"); code != 200 || !strings.Contains(body, "25 months") {
		t.Errorf("GET /privacy: %d, retention of 25 months not stated", code)
	}

	// The browser sees the report and the share page without a console error.
	checkInBrowser(t, "hostile.example", base+sharePath+"/report/"+lastMonth+".html", base+sharePath)

	tb2 := tb.run(t, "site", "unpublish", "hostile.example")
	if !strings.Contains(tb2, "unpublished") {
		t.Errorf("tally site unpublish printed %q", tb2)
	}
	if code, _, _ := get(t, base+sharePath); code != 404 {
		t.Errorf("GET %s after unpublish: %d, want 404", sharePath, code)
	}
	sc := bufio.NewScanner(bytes.NewReader(log.Bytes()))
	for sc.Scan() {
		assertNone(t, "the server log", sc.Text(), forbidden)
	}
}

func post(t *testing.T, url, body string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header, b.String()
}
