package public

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// checkInBrowser opens each URL in a real headless Chromium and fails on
// any console error, exception or browser log error, or a page that does
// not show /pricing (the privacy notice: its heading). Without Chromium it skips loudly, unless
// TALLY_REQUIRE_BROWSER is set.
func checkInBrowser(t *testing.T, urls ...string) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("TALLY_REQUIRE_BROWSER") != "" {
			t.Fatalf("TALLY_REQUIRE_BROWSER is set but %s is missing: apt-get install -y chromium", chromiumPath)
		}
		t.Logf("SKIPPING the browser check of the public pages: %s is missing (apt-get install -y chromium); "+
			"set TALLY_REQUIRE_BROWSER=1 to make this a failure", chromiumPath)
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	parent, cancelTimeout := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancelTimeout()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(parent, opts...)
	defer cancelAlloc()
	var mu sync.Mutex
	var problems []string
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithListener(func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				problems = append(problems, "console.error")
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				problems = append(problems, "log: "+ev.Entry.Text+" "+ev.Entry.URL)
			}
		}
	}))
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
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
		want := "/pricing"
		if strings.Contains(url, "/privacy") {
			want = "Privacy notice"
		}
		if !strings.Contains(text, want) {
			t.Errorf("%s in Chromium does not show %s:\n%s", url, want, text)
		}
		// Give late errors (CSP violations, failed loads) a moment.
		time.Sleep(300 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("the public page's console shows an error: %s", p)
	}
}

// TestReportInBrowser renders the hostile report through the in-process
// handlers and opens it in Chromium.
func TestReportInBrowser(t *testing.T) {
	d := hostile(t)
	srv := servePublic(t, d, DefaultPolicy)
	base := srv.url + "/share/" + srv.slug
	checkInBrowser(t, base+"/report/2026-10.html", base, srv.url+"/privacy?site="+d.site.Domain)
}
