// Package browsertest starts Debian's headless Chromium for tally's browser
// tests (tracker, dashboard, public pages) and records what a page must not
// do: console errors, uncaught exceptions, browser log errors, dialogs. It
// is for tests only.
package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Path is Debian's Chromium.
const Path = "/usr/bin/chromium"

// DesktopUA replaces Chromium's "HeadlessChrome" user agent, which tally
// rightly drops as a bot.
const DesktopUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/537.36"

// Available reports whether Chromium is installed. Without it the caller's
// test is skipped loudly — or fails when TALLY_REQUIRE_BROWSER is set, as in CI.
func Available(t testing.TB, what string) bool {
	t.Helper()
	if _, err := os.Stat(Path); err == nil {
		return true
	}
	if os.Getenv("TALLY_REQUIRE_BROWSER") != "" {
		t.Fatalf("TALLY_REQUIRE_BROWSER is set but %s is missing: apt-get install -y chromium", Path)
	}
	t.Skipf("SKIPPING %s: %s is missing (apt-get install -y chromium); set TALLY_REQUIRE_BROWSER=1 to make this a failure", what, Path)
	return false
}

// Options shape one browser.
type Options struct {
	UserAgent     string        // default DesktopUA
	DoNotTrack    bool          // the profile's "Send a Do Not Track request" preference
	HostRules     string        // --host-resolver-rules, e.g. "MAP test.example 127.0.0.1"
	Width, Height int           // window size; default 1280×900
	Init          string        // a script run in every new document before the page's own
	Warnings      bool          // count console warnings as problems too
	Timeout       time.Duration // for the whole browser; default 90 s
	Listen        func(ev any)  // the test's own listener, called for every event
}

// Browser is one Chromium with a fresh profile and one tab.
type Browser struct {
	Ctx context.Context

	mu       sync.Mutex
	problems []string
	requests []string
}

// Open starts Chromium; it is stopped when the test ends.
func Open(t testing.TB, o Options) *Browser {
	t.Helper()
	if o.UserAgent == "" {
		o.UserAgent = DesktopUA
	}
	if o.Width == 0 {
		o.Width, o.Height = 1280, 900
	}
	if o.Timeout == 0 {
		o.Timeout = 90 * time.Second
	}
	profile := t.TempDir()
	if o.DoNotTrack {
		if err := os.MkdirAll(filepath.Join(profile, "Default"), 0o755); err != nil {
			t.Fatal(err)
		}
		prefs := []byte(`{"enable_do_not_track": true}`)
		if err := os.WriteFile(filepath.Join(profile, "Default", "Preferences"), prefs, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Without the background-networking flags Chromium keeps trying hosts
	// this machine cannot reach.
	flags := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.UserDataDir(profile),
		chromedp.UserAgent(o.UserAgent),
		chromedp.WindowSize(o.Width, o.Height),
	)
	if o.HostRules != "" {
		flags = append(flags, chromedp.Flag("host-resolver-rules", o.HostRules))
	}
	parent, cancelTimeout := context.WithTimeout(context.Background(), o.Timeout)
	alloc, cancelAlloc := chromedp.NewExecAllocator(parent, flags...)
	b := &Browser{}
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithListener(func(ev any) {
		b.record(ev, o.Warnings)
		if o.Listen != nil {
			o.Listen(ev)
		}
	}))
	t.Cleanup(func() { cancel(); cancelAlloc(); cancelTimeout() })
	b.Ctx = ctx
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", Path, err)
	}
	if o.Init != "" {
		if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: o.Init}); err != nil {
			t.Fatalf("add the init script: %v", err)
		}
	}
	return b
}

// record runs in the tab's event loop: it only records.
func (b *Browser) record(ev any, warnings bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert ||
			(warnings && ev.Type == runtime.ConsoleAPICalledTypeWarning) {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			b.problems = append(b.problems, "console."+string(ev.Type)+": "+strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		text := ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			text += " " + ev.ExceptionDetails.Exception.Description
		}
		b.problems = append(b.problems, "exception: "+text)
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			b.problems = append(b.problems, "log: "+ev.Entry.Text+" "+ev.Entry.URL)
		}
	case *page.EventJavascriptDialogOpening:
		b.problems = append(b.problems, "a dialog opened: "+ev.Message)
	case *network.EventRequestWillBeSent:
		b.requests = append(b.requests, ev.Request.URL)
	}
}

// Problems returns what the pages did wrong so far.
func (b *Browser) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

// Requests returns the URLs the tab requested so far.
func (b *Browser) Requests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.requests...)
}
