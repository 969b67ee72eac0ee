package browsertest

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The recorder must see what the other browser tests rely on it to see.
func TestProblemsAreRecorded(t *testing.T) {
	Available(t, "the browser harness test")
	b := Open(t, Options{Warnings: true})
	page := `data:text/html,<script>console.warn("w1"); console.error("e1"); setTimeout(() => { throw new Error("x1") })</script><p>hi</p>`
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(page)); err != nil {
		t.Fatal(err)
	}
	// The events arrive asynchronously (the exception after a timer): wait
	// for them, up to a loaded machine's patience.
	wants := []string{"console.warning: \"w1\"", "console.error: \"e1\"", "exception:"}
	var got string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got = strings.Join(b.Problems(), "\n")
		missing := false
		for _, want := range wants {
			missing = missing || !strings.Contains(got, want)
		}
		if !missing || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if len(b.Requests()) == 0 {
		t.Error("no request recorded")
	}
}
