package dashboard

// An admin invites a viewer in a real Chromium, and the viewer signs in
// with the password the page showed once.

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"tally/internal/browsertest"
)

func TestInviteViewerBrowser(t *testing.T) {
	browsertest.Available(t, "the invitation browser test")
	srv := startServer(t)
	srv.standardScenario(t)

	admin := newChromium(t)
	signIn := func(b *chromium, email, password string) {
		t.Helper()
		b.run(t, "sign in as "+email,
			chromedp.Navigate(srv.base+"/login"),
			chromedp.WaitVisible(chromedp.CSS("#email")),
			chromedp.SendKeys(chromedp.CSS("#email"), email),
			chromedp.SendKeys(chromedp.CSS("#password"), password),
			chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`a[href="/example.com"]`)),
		)
	}
	signIn(admin, "owner@example.com", srv.password)
	admin.run(t, "invite a viewer of example.com",
		chromedp.Click(chromedp.CSS(`nav a[href="/users"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/users"] #email`)),
		chromedp.SendKeys(chromedp.CSS(`form[action="/users"] #email`), "viewer@example.com"),
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('#site');
			s.value = [...s.options].find(o => o.text === 'example.com').value; })()`),
		chromedp.SetValue(chromedp.CSS("#role"), "viewer"),
		chromedp.Click(chromedp.CSS(`form[action="/users"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#secret")),
	)
	password := strings.TrimSpace(get(t, admin, "read the one-time password", chromedp.Text(chromedp.CSS("#secret"))))
	if len(password) < 20 {
		t.Fatalf("one-time password %q", password)
	}
	listed := get(t, admin, "read the users", chromedp.Text(chromedp.CSS("table")))
	if !strings.Contains(listed, "viewer@example.com") {
		t.Errorf("the users table lacks the invited viewer:\n%s", listed)
	}
	admin.checkClean(t, srv.base)

	viewer := newChromium(t)
	signIn(viewer, "viewer@example.com", password)
	viewer.run(t, "open the site", chromedp.Click(chromedp.CSS(`a[href="/example.com"]`)), chromedp.WaitVisible(chromedp.CSS(".kpis")))
	if got := viewer.kpis(t); got["pageviews"] != 31 {
		t.Errorf("the viewer's KPIs %v, want 31 pageviews", got)
	}
	nav := get(t, viewer, "read the menu", chromedp.Text(chromedp.CSS("nav.account")))
	if strings.Contains(nav, "Users") || !strings.Contains(nav, "viewer@example.com") {
		t.Errorf("the viewer's menu %q: want their email and no Users link", nav)
	}
	viewer.checkClean(t, srv.base)
}
