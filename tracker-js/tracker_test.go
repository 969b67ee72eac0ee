package trackerjs

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// sizeBudget is the most the default script.js may weigh after gzip -9.
const sizeBudget = 1024

func newApp() *fiber.App {
	app := fiber.New(fiber.Config{
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			code := fiber.StatusInternalServerError
			if e, ok := err.(*fiber.Error); ok {
				code = e.Code
			}
			return c.Status(code).SendString(err.Error())
		},
	})
	app.Get("/js/:file", Serve)
	return app
}

type reply struct {
	status  int
	headers map[string]string
	body    string
}

func get(t *testing.T, app *fiber.App, path string, headers map[string]string) reply {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := app.Test(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body of %s: %v", path, err)
	}
	r := reply{status: res.StatusCode, headers: map[string]string{}, body: string(body)}
	for k := range res.Header {
		r.headers[k] = res.Header.Get(k)
	}
	return r
}

func TestEveryCombinationIsBuilt(t *testing.T) {
	names := Names()
	if len(names) != 1<<len(extensions) {
		t.Fatalf("dist/ has %d files, want %d (every combination of %v)", len(names), 1<<len(extensions), extensions)
	}
	for _, name := range names {
		if c, ok := Canonical(name); !ok || c != name {
			t.Errorf("dist/%s is not a canonical name (Canonical gives %q, %v)", name, c, ok)
		}
	}
	for _, want := range []string{"script.js", "script.hash.js", "script.outbound-links.js", "script.file-downloads.js",
		"script.tagged-events.js", "script.manual.js", "script.hash.outbound-links.js",
		"script.hash.outbound-links.file-downloads.tagged-events.manual.js"} {
		if !slices.Contains(names, want) {
			t.Errorf("dist/%s is missing", want)
		}
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"script.js", "script.js", true},
		{"script.hash.js", "script.hash.js", true},
		{"script.outbound-links.hash.js", "script.hash.outbound-links.js", true},
		{"script.manual.tagged-events.file-downloads.outbound-links.hash.js",
			"script.hash.outbound-links.file-downloads.tagged-events.manual.js", true},
		{"plausible.js", "script.js", true},
		{"plausible.outbound-links.hash.js", "script.hash.outbound-links.js", true},
		{"plausible.hash.hash.js", "", false},
		{"plausiblejs", "", false},
		{"script.hash.hash.js", "", false},
		{"script.local.js", "", false},
		{"script..js", "", false},
		{"script.hash..js", "", false},
		{"script.js.js", "", false},
		{"script.hashjs", "", false},
		{"script", "", false},
		{"tracker.js", "", false},
		{"script.HASH.js", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Canonical(tt.name)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Canonical(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestServe(t *testing.T) {
	app := newApp()
	want, err := dist.ReadFile("dist/script.hash.outbound-links.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"script.hash.outbound-links.js", "script.outbound-links.hash.js"} {
		r := get(t, app, "/js/"+name, nil)
		if r.status != 200 || r.body != string(want) {
			t.Fatalf("GET /js/%s = %d with %d bytes; want 200 with the %d bytes of script.hash.outbound-links.js",
				name, r.status, len(r.body), len(want))
		}
		for k, v := range map[string]string{
			"Content-Type":  "text/javascript; charset=utf-8",
			"Cache-Control": "public, max-age=86400",
		} {
			if r.headers[k] != v {
				t.Errorf("GET /js/%s: %s = %q, want %q", name, k, r.headers[k], v)
			}
		}
		if etag := r.headers["Etag"]; !strings.HasPrefix(etag, `"`) || len(etag) < 10 {
			t.Errorf("GET /js/%s: ETag = %q, want a strong ETag", name, etag)
		}
		if _, ok := r.headers["Set-Cookie"]; ok {
			t.Errorf("GET /js/%s sets a cookie", name)
		}
	}
}

func TestServeDistinctETags(t *testing.T) {
	app := newApp()
	seen := map[string]string{}
	for _, name := range Names() {
		etag := get(t, app, "/js/"+name, nil).headers["Etag"]
		if other, dup := seen[etag]; dup {
			t.Errorf("%s and %s share the ETag %s", name, other, etag)
		}
		seen[etag] = name
	}
}

func TestServeNotModified(t *testing.T) {
	app := newApp()
	first := get(t, app, "/js/script.js", nil)
	etag := first.headers["Etag"]
	for _, inm := range []string{etag, "W/" + etag, `"nope", ` + etag, "*"} {
		r := get(t, app, "/js/script.js", map[string]string{"If-None-Match": inm})
		if r.status != 304 || r.body != "" {
			t.Errorf("If-None-Match: %s gave %d with %d bytes, want 304 and no body", inm, r.status, len(r.body))
		}
		if r.headers["Etag"] != etag {
			t.Errorf("304 ETag = %q, want %q", r.headers["Etag"], etag)
		}
	}
	if r := get(t, app, "/js/script.js", map[string]string{"If-None-Match": `"stale"`}); r.status != 200 {
		t.Errorf("a stale If-None-Match gave %d, want 200", r.status)
	}
	if r := get(t, app, "/js/script.hash.js", map[string]string{"If-None-Match": etag}); r.status != 200 {
		t.Errorf("script.js's ETag on script.hash.js gave %d, want 200", r.status)
	}
}

func TestServeGzip(t *testing.T) {
	app := newApp()
	plain := get(t, app, "/js/script.js", nil)
	r := get(t, app, "/js/script.js", map[string]string{"Accept-Encoding": "br, gzip"})
	if r.status != 200 || r.headers["Content-Encoding"] != "gzip" || r.headers["Vary"] != "Accept-Encoding" {
		t.Fatalf("gzip request: status %d, Content-Encoding %q, Vary %q", r.status, r.headers["Content-Encoding"], r.headers["Vary"])
	}
	zr, err := gzip.NewReader(strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if string(unzipped) != plain.body {
		t.Error("the gzipped body is not the plain body")
	}
	if r.headers["Etag"] == plain.headers["Etag"] {
		t.Error("the gzipped and the plain body share an ETag")
	}
	if r := get(t, app, "/js/script.js", map[string]string{"If-None-Match": r.headers["Etag"], "Accept-Encoding": "gzip"}); r.status != 304 {
		t.Errorf("revalidating the gzipped body gave %d, want 304", r.status)
	}
	for _, ae := range []string{"gzip;q=0", "identity", "br"} {
		if r := get(t, app, "/js/script.js", map[string]string{"Accept-Encoding": ae}); r.headers["Content-Encoding"] != "" {
			t.Errorf("Accept-Encoding: %s got Content-Encoding %q", ae, r.headers["Content-Encoding"])
		}
	}
}

func TestServeUnknown(t *testing.T) {
	app := newApp()
	for _, name := range []string{"script.local.js", "script.hash.hash.js", "tracker.js", "script.js.map", "..%2Ftracker.go"} {
		r := get(t, app, "/js/"+name, nil)
		if r.status != 404 || r.body != "unknown script" {
			t.Errorf("GET /js/%s = %d %q, want 404 \"unknown script\"", name, r.status, r.body)
		}
	}
}

func TestSizeBudget(t *testing.T) {
	body, err := dist.ReadFile("dist/script.js")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	t.Logf("script.js: %d bytes, %d gzipped", len(body), buf.Len())
	if buf.Len() > sizeBudget {
		t.Errorf("script.js is %d bytes gzipped, over the budget of %d", buf.Len(), sizeBudget)
	}
}
