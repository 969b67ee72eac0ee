package main

import (
	"bytes"
	"compress/gzip"
	"database/sql"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"tally/aggregate/sqlite"
)

// gzipped compresses b with gzip at the best ratio.
func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// TestCompressionBombs posts bodies that inflate to hundreds of megabytes to
// every kind of route: each is refused within a second, the process
// allocates a few megabytes for all of them together, and nothing is
// counted.
func TestCompressionBombs(t *testing.T) {
	dir := t.TempDir()
	tally(t, "site", "add", "example.com", "--data", dir)
	key := lastLine(tally(t, "apikey", "create", "--data", dir))
	s := startServer(t, dir, &syncBuffer{})
	before := totalPageviews(t, s, key)

	zeros := gzipped(make([]byte, 256<<20)) // 256 MB of zeros, ~250 KB sent
	twice := gzipped(zeros)                 // the same, in two layers: ~1 KB sent
	event := gzipped(bytes.Repeat([]byte(okEvent), 1000))

	cases := []struct {
		name, path, encoding string
		body                 []byte
		want                 int
	}{
		{"event, one layer", "/api/event", "gzip", zeros, 413},
		{"event, two layers", "/api/event", "gzip, gzip", twice, 415},
		{"event, inflates past 16 KiB", "/api/event", "gzip", event, 413},
		{"event, brotli", "/api/event", "br", []byte{0x1b, 0xff}, 415},
		{"stats API", "/api/v2/query", "gzip", zeros, 413},
		{"stats API, two layers", "/api/v2/query", "gzip,gzip", twice, 415},
		{"sign-in form", "/login", "gzip", zeros, 413},
		{"setup form", "/setup", "deflate", []byte("not deflate"), 400},
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	allocated := ms.TotalAlloc
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", "http://"+s.addr+tc.path, bytes.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Content-Encoding", tc.encoding)
			req.Header.Set("Authorization", "Bearer "+key)
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if took := time.Since(start); took > time.Second {
				t.Errorf("answered after %v", took)
			}
			if resp.StatusCode != tc.want {
				t.Errorf("status %d %.200s, want %d", resp.StatusCode, msg, tc.want)
			}
		})
	}
	runtime.ReadMemStats(&ms)
	// The bodies sent add up to ~1 MB and are read once by the server and
	// once by the client; inflated, they would be over 768 MB.
	if got := ms.TotalAlloc - allocated; got > 32<<20 {
		t.Errorf("the bombs cost %d MB of allocations, want under 32", got>>20)
	}
	if after := totalPageviews(t, s, key); after != before {
		t.Errorf("pageviews went from %d to %d", before, after)
	}

	// A well-formed compressed event is taken.
	code, body := s.event(scenarioVisitors()[0], string(gzipped([]byte(okEvent))), "Content-Encoding", "gzip")
	if code != 202 {
		t.Fatalf("gzip event: %d %s", code, body)
	}
	if after := totalPageviews(t, s, key); after != before+1 {
		t.Errorf("pageviews %d after a gzip event, want %d", after, before+1)
	}
}

// TestPatternBombs sends the Stats API regular expressions whose compiled
// programs are huge, alone and in numbers: each question is refused with a
// 400 naming the limit, within a second and a few megabytes.
func TestPatternBombs(t *testing.T) {
	dir := t.TempDir()
	tally(t, "site", "add", "example.com", "--data", dir)
	key := lastLine(tally(t, "apikey", "create", "--data", dir))
	s := startServer(t, dir, &syncBuffer{})

	quoted := func(n int, pattern string) string {
		return strings.TrimSuffix(strings.Repeat(strconv.Quote(pattern)+",", n), ",")
	}
	filter := func(values string) string { return `["matches","event:page",[` + values + `]]` }
	query := func(filters ...string) string {
		return `{"site_id":"example.com","metrics":["visitors"],"date_range":"day","filters":[` + strings.Join(filters, ",") + `]}`
	}
	many := make([]string, 20)
	for i := range many {
		many[i] = filter(quoted(10, `[a-z]{0,100}/`))
	}
	cases := []struct{ name, body, mention string }{
		{"one huge program", query(filter(quoted(1, `.{0,1000}.{0,1000}x`))), "too complex"},
		{"25 000 patterns", query(filter(quoted(25000, `.{0,1000}.{0,1000}x`))), "at most 100"},
		{"25 000 small patterns", query(filter(quoted(25000, `^/a`))), "at most 100"},
		{"many medium patterns", query(many...), "too complex together"},
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	allocated := ms.TotalAlloc
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			code, body := s.query(key, tc.body)
			if took := time.Since(start); took > time.Second {
				t.Errorf("answered after %v", took)
			}
			if code != 400 || !strings.Contains(string(body), tc.mention) {
				t.Errorf("%d %.300s, want 400 mentioning %q", code, body, tc.mention)
			}
		})
	}
	runtime.ReadMemStats(&ms)
	if got := ms.TotalAlloc - allocated; got > 64<<20 {
		t.Errorf("the questions cost %d MB of allocations, want under 64", got>>20)
	}
	// An ordinary pattern still works.
	if code, body := s.query(key, query(filter(quoted(3, `^/blog/[0-9]{4}/`)))); code != 200 {
		t.Errorf("ordinary pattern: %d %s", code, body)
	}
}

// TestDamagedEmbeddedStore damages the page of the sites table in a real
// store file, as a failing disk would, and starts tally on it: health says
// the store is damaged, and the log names the file and the way out.
func TestDamagedEmbeddedStore(t *testing.T) {
	dir := t.TempDir()
	tally(t, "site", "add", "example.com", "--data", dir)
	s := startServer(t, dir, &syncBuffer{})
	if code, _ := s.event(scenarioVisitors()[0], okEvent); code != 202 {
		t.Fatal("event not taken")
	}
	s.stop()

	path := filepath.Join(dir, sqlite.FileName)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var root, size int64
	if err := db.QueryRow(`SELECT rootpage FROM sqlite_master WHERE name = 'sites'`).Scan(&root); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`PRAGMA page_size`).Scan(&size); err != nil {
		t.Fatal(err)
	}
	db.Close()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xAB}, int(size)), (root-1)*size); err != nil {
		t.Fatal(err)
	}
	f.Close()

	log := &syncBuffer{}
	s = startServerUnhealthy(t, dir, log)
	var health string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get("http://" + s.addr + "/api/health")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if health = string(b); resp.StatusCode == 503 && strings.Contains(health, "damaged") {
			break
		}
	}
	if !strings.Contains(health, "damaged") {
		t.Fatalf("health %s, want it to say the store is damaged", health)
	}
	if !strings.Contains(log.String(), path) || !strings.Contains(log.String(), ".recover") {
		t.Errorf("the log does not name the file and the way out:\n%s", log)
	}
	if code, _ := s.event(scenarioVisitors()[0], okEvent); code != 503 {
		t.Errorf("event on a damaged store: %d, want 503", code)
	}
}
