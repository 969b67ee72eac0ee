package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"
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
