package public

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tally/internal/browsertest"
)

const chromiumPath = browsertest.Path

// checkInBrowser opens each URL in a real headless Chromium and fails on
// any console error, exception or browser log error, or a page that does
// not show want ("": /pricing, and for the privacy notice its heading). Without Chromium it skips loudly, unless
// TALLY_REQUIRE_BROWSER is set.
func checkInBrowser(t *testing.T, want string, urls ...string) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("TALLY_REQUIRE_BROWSER") != "" {
			t.Fatalf("TALLY_REQUIRE_BROWSER is set but %s is missing: apt-get install -y chromium", chromiumPath)
		}
		t.Logf("SKIPPING the browser check of the public pages: %s is missing (apt-get install -y chromium); "+
			"set TALLY_REQUIRE_BROWSER=1 to make this a failure", chromiumPath)
		return
	}
	b := browsertest.Open(t, browsertest.Options{Timeout: 60 * time.Second})
	ctx := b.Ctx
	for _, url := range urls {
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			t.Errorf("navigate to %s: %v", url, err)
			continue
		}
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		if err != nil {
			t.Errorf("read %s: %v", url, err)
			continue
		}
		want := want
		switch {
		case want != "":
		case strings.Contains(url, "/privacy"):
			want = "Privacy notice"
		default:
			want = "/pricing"
		}
		if !strings.Contains(text, want) {
			t.Errorf("%s in Chromium does not show %s:\n%s", url, want, text)
		}
		// Give late errors (CSP violations, failed loads) a moment.
		time.Sleep(300 * time.Millisecond)
	}
	for _, p := range b.Problems() {
		t.Errorf("the public page's console shows an error: %s", p)
	}
}

// TestReportInBrowser renders the hostile report through the in-process
// handlers and opens it in Chromium.
func TestReportInBrowser(t *testing.T) {
	d := hostile(t)
	srv := servePublic(t, d, DefaultPolicy)
	base := srv.url + "/share/" + srv.slug
	checkInBrowser(t, "", base+"/report/2026-10.html", base, base+"/details/page?q=pri&sort=value", srv.url+"/privacy?site="+d.site.Domain)
}
