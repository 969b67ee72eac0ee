package browsertest

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The recorder must see what the other browser tests rely on it to see.
func TestProblemsAreRecorded(t *testing.T) {
	Available(t, "the browser harness test")
	b := Open(t, Options{Warnings: true})
	page := `data:text/html,<script>console.warn("w1"); console.error("e1"); setTimeout(() => { throw new Error("x1") })</script><p>hi</p>`
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(page), chromedp.Sleep(300e6)); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(b.Problems(), "\n")
	for _, want := range []string{"console.warning: \"w1\"", "console.error: \"e1\"", "exception:"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if len(b.Requests()) == 0 {
		t.Error("no request recorded")
	}
}
