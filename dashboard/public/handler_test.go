package public

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/account"
	"tally/aggregate"
	"tally/collector"
)

// publicServer serves the public routes over real HTTP, as cmd/tally
// registers them, on the dataset's store.
type publicServer struct {
	url  string
	slug string
	h    *Handler
}

func servePublic(t *testing.T, d *dataset, pol Policy) *publicServer {
	t.Helper()
	d.flush()
	ctx := context.Background()
	const slug = "test-slug-0123456789abcdef"
	if err := d.store.SetShare(ctx, account.Share{Site: d.site.ID, Slug: slug, MinVisitors: pol.MinVisitors, Round: pol.Round, Epsilon: pol.Epsilon}); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC) }
	h, err := New(d.store, aggregate.NewEngine(d.store, d.agg), now, Instance{Retention: "25 months",
		Controller: "Example Ltd, 1 Main St", Contact: "privacy@example.com", LegalBasis: "legitimate interest (GDPR Art. 6(1)(f))"})
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true, ErrorHandler: func(c *fiber.Ctx, err error) error {
		var fe *fiber.Error
		if errors.As(err, &fe) {
			return c.Status(fe.Code).SendString(fe.Message)
		}
		t.Errorf("%s: unexpected error %v", c.Path(), err)
		return c.Status(500).SendString("internal error")
	}})
	app.Get("/privacy", h.Privacy)
	app.Get("/share/:slug", h.Share)
	app.Get("/share/:slug/report/:period", h.Report)
	app.Get("/share/:slug/details/:table", h.ShareDetails)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { app.Shutdown() })
	return &publicServer{url: "http://" + ln.Addr().String(), slug: slug, h: h}
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func TestPublicViewsOfHostileDataset(t *testing.T) {
	d := hostile(t)
	srv := servePublic(t, d, DefaultPolicy)
	base := srv.url + "/share/" + srv.slug
	// At 2026-11-02 12:00 the last closed day is November 1st: October is
	// the last whole month, and only whole months have tables.
	for _, path := range []string{"", "?range=30d", "?range=month", "?range=last_month", "?range=12mo",
		"/report/2026-10.html", "/report/2026-10.json", "/report/2026-10.csv",
		"/report/2026-W41.json", "/report/2026-10-05.json"} {
		code, hdr, body := get(t, base+path)
		if code != 200 {
			t.Errorf("GET %s: %d %s", path, code, body)
			continue
		}
		tables := path == "" || path == "?range=last_month" || path == "?range=12mo" || strings.HasPrefix(path, "/report/2026-10.")
		if strings.Contains(body, "/pricing") != tables {
			t.Errorf("GET %s shows /pricing: %v, want %v (tables come from whole closed months only)", path, !tables, tables)
		}
		assertNone(t, "GET "+path, body, lonerValues)
		if hdr.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s: Referrer-Policy %q", path, hdr.Get("Referrer-Policy"))
		}
		if strings.HasSuffix(path, ".json") {
			validateReport(t, []byte(body))
		}
	}
	if _, hdr, _ := get(t, base+"/report/2026-10.csv"); !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") {
		t.Errorf("CSV served as %q", hdr.Get("Content-Type"))
	}

	for _, path := range []string{
		"/share/not-a-slug", "/share/not-a-slug/report/2026-10.html",
		"/share/" + srv.slug + "/report/2026-13.html", "/share/" + srv.slug + "/report/2026-10.xml",
		"/share/" + srv.slug + "/report/2027-01.json",    // not started
		"/share/" + srv.slug + "/report/2026-11.json",    // running
		"/share/" + srv.slug + "/report/2026-Q4.json",    // running
		"/share/" + srv.slug + "/report/2026.json",       // running
		"/share/" + srv.slug + "/report/2026-11-02.json", // today
	} {
		if code, _, body := get(t, srv.url+path); code != 404 {
			t.Errorf("GET %s: %d %s, want 404", path, code, body)
		}
	}

	// Unpublished, the same slug is gone, and the site's privacy notice
	// is the instance's, the same as for a domain tally does not track.
	if err := d.store.DeleteShare(context.Background(), d.site.ID); err != nil {
		t.Fatal(err)
	}
	_, _, unknown := get(t, srv.url+"/privacy?site=unknown.example")
	_, _, instance := get(t, srv.url+"/privacy")
	code, _, unpublished := get(t, srv.url+"/privacy?site="+d.site.Domain)
	if code != 200 || unpublished != unknown || unknown != instance {
		t.Errorf("/privacy?site= of an unpublished site (%d) differs from that of an unknown one", code)
	}
	for _, path := range []string{"", "/report/2026-10.json"} {
		if code, _, _ := get(t, base+path); code != 404 {
			t.Errorf("GET %s after unpublishing: %d, want 404", path, code)
		}
	}
}

// TestReportWithEnoughTraffic: a site with a real crowd shows totals, a
// series and an "(other)" that hides the small groups.
func TestReportWithEnoughTraffic(t *testing.T) {
	d := newDataset(t)
	for day := 0; day < 7; day++ {
		d.add(20, visitor{pages: []string{"/", "/pricing"}, source: "Google", browser: "Chrome", device: "Desktop", country: "DE", language: "de", day: day})
		d.add(12, visitor{pages: []string{"/blog"}, source: "DuckDuckGo", browser: "Firefox", device: "Mobile", country: "FR", language: "fr", day: day})
	}
	d.add(1, loner)
	srv := servePublic(t, d, DefaultPolicy)
	_, _, body := get(t, srv.url+"/share/"+srv.slug+"/report/2026-10.json")
	validateReport(t, []byte(body))
	assertNone(t, "the JSON report", body, lonerValues)
	for _, want := range []string{`"/pricing"`, `"Google"`, `"totals": {`, `"2026-10-05"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the report lacks %s:\n%s", want, body)
		}
	}
	// The loner alone would be a remainder of 1, recoverable as total minus
	// the shown pages; /blog (84 visitors) joins it, and (other) = 85 is shown.
	if strings.Contains(body, `"/blog"`) || strings.Contains(body, `"DuckDuckGo"`) {
		t.Errorf("the second group was not folded into (other):\n%s", body)
	}
	_, _, csv := get(t, srv.url+"/share/"+srv.slug+"/report/2026-10.csv")
	for _, want := range []string{
		"total,2026-10,225,", // 20·7 + 12·7 + 1 = 225 visitors
		"page,(other),85,85", // /blog and the loner's page
		"page,/pricing,140,140",
		"day,2026-10-05,35,", // 20 + 12 + the loner: 33, rounded
	} {
		if !strings.Contains(csv, want) {
			t.Errorf("the CSV lacks %q:\n%s", want, csv)
		}
	}
	assertNone(t, "the CSV report", csv, lonerValues)
}

func TestPrivacyNotice(t *testing.T) {
	d := newDataset(t)
	srv := servePublic(t, d, Policy{MinVisitors: 25, Round: 10, Epsilon: 0.5})
	code, _, body := get(t, srv.url+"/privacy")
	if code != 200 {
		t.Fatalf("GET /privacy: %d", code)
	}
	for _, want := range []string{"24 bits", "48 bits", "midnight UTC", "No cookies", "25 months", "Do Not Track", "30 minutes",
		"SHA-256", "first 64 bits", "not an HMAC", "256 bits", "Example Ltd", "privacy@example.com", "legitimate interest",
		"the region", "the campaign term", "the last page of the visit", "the event&#39;s name", "host name of the referring website",
		"Your rights", "How to object", "localStorage.tally_ignore", "Backups and logs", "Who receives the data", "a database file on the server",
		collector.PlaceholderEmail} {
		if !strings.Contains(body, want) {
			t.Errorf("/privacy does not say %q", want)
		}
	}
	for _, wrong := range []string{"HMAC-SHA-256", "destroyed every day", "never stored, in any form", "strips the query string and fragment"} {
		if strings.Contains(body, wrong) {
			t.Errorf("/privacy still claims %q", wrong)
		}
	}
	_, _, body = get(t, srv.url+"/privacy?site="+d.site.Domain)
	for _, want := range []string{"does not count your visit", "fewer than 25 visitors", "multiples of 10", "ε = 0.5", "closed days only"} {
		if !strings.Contains(body, want) {
			t.Errorf("/privacy?site= does not say %q", want)
		}
	}
	var text strings.Builder
	if err := WriteNoticeText(&text, Notice(Instance{}, &NoticeSite{Domain: "a.example", CountDNT: true})); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"one anonymous page view", "the page's host and path", "kept until the site is removed", "not named in this tally's configuration",
		"not stated by the operator", "[How: "} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the text notice does not say %q:\n%s", want, text.String())
		}
	}
}

// TestPrivacyNoticeNamesNoSite: /privacy?site= answers an unknown domain
// and a tracked but unpublished one with the instance's notice, byte for
// byte, so it cannot be used to learn which domains an instance counts.
func TestPrivacyNoticeNamesNoSite(t *testing.T) {
	d := newDataset(t)
	srv := servePublic(t, d, DefaultPolicy)
	if err := d.store.DeleteShare(context.Background(), d.site.ID); err != nil {
		t.Fatal(err)
	}
	_, _, plain := get(t, srv.url+"/privacy")
	for _, q := range []string{"?site=unknown.example", "?site=" + d.site.Domain, "?site=" + strings.ToUpper(d.site.Domain)} {
		code, _, body := get(t, srv.url+"/privacy"+q)
		if code != 200 || body != plain {
			t.Errorf("GET /privacy%s: %d, and the notice differs from /privacy's", q, code)
		}
	}
	if strings.Contains(plain, d.site.Domain) {
		t.Errorf("the instance's notice names %s", d.site.Domain)
	}
}

// TestNoticeNamesEveryDimension: every stored dimension has words in the
// notice, so a new one cannot be stored without the notice saying so.
func TestNoticeNamesEveryDimension(t *testing.T) {
	for d, w := range dimWords {
		if w == "" {
			t.Errorf("dimension %s has no words in the privacy notice", aggregate.Dim(d))
		}
	}
}

// TestShareIgnoresDashboardParameters: the share page has no filters, no
// custom period and nothing hourly (docs/reports.md, "Filters"). The
// dashboard's parameters, even naming the lone visitor's values, change
// nothing on it.
func TestShareIgnoresDashboardParameters(t *testing.T) {
	d := hostile(t)
	srv := servePublic(t, d, DefaultPolicy)
	base := srv.url + "/share/" + srv.slug
	_, _, plain := get(t, base)
	for _, q := range []string{
		"?f=page,/internal/alice-secret-page",
		"?f=browser,Opera&f=source,alice-private-blog.example",
		"?fd=page&fv=/pricing",
		"?period=custom&from=2026-10-05&to=2026-10-05&i=hour",
		"?period=day&m=pageviews&src=referrer&pg=entry_page",
	} {
		code, _, body := get(t, base+q)
		if code != 200 || body != plain {
			t.Errorf("GET %s: %d, and the page differs from the one without parameters", q, code)
		}
	}
}
