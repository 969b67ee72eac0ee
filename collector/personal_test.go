package collector

import (
	"strings"
	"testing"
)

// TestPersonalValuesBecomePlaceholders holds the review's hostile values
// (issue 19) and the ordinary paths a site owner must still be able to
// read, through the whole page parser.
func TestPersonalValuesBecomePlaceholders(t *testing.T) {
	tests := []struct {
		name, url string
		hash      bool
		path      string
		utm       UTM
		ref       string
	}{
		// Hostile values: nothing of them may reach a dimension.
		{name: "e-mail in utm_content", url: "https://e.com/?utm_content=alice@example.com", path: "/", utm: UTM{Content: ":email"}},
		{name: "customer id in utm_term", url: "https://e.com/?utm_term=cust-4711", path: "/", utm: UTM{Term: "cust-:id"}},
		{name: "referral code in ref", url: "https://e.com/?ref=bob-referral-code", path: "/"},
		{name: "referral code in source", url: "https://e.com/?source=bob-referral-code", path: "/"},
		{name: "e-mail in utm_source does not name the source", url: "https://e.com/?utm_source=alice%40example.com", path: "/", utm: UTM{Source: ":email"}},
		{name: "name after /account/", url: "https://e.com/account/alice.smith", path: "/account/:id"},
		{name: "token after /reset-password/", url: "https://e.com/reset-password/tok-9f8e7d", path: "/reset-password/:id"},
		{name: "token anywhere", url: "https://e.com/download/tok-9f8e7d", path: "/download/tok-:token"},
		{name: "OAuth token in a hash-mode fragment", url: "https://e.com/#/callback&access_token=OAUTHTOKEN123", hash: true, path: "/#/callback/:params"},
		{name: "implicit-flow fragment", url: "https://e.com/#access_token=OAUTHTOKEN123&token_type=bearer", hash: true, path: "/:params"},
		{name: "query in a hash-mode fragment", url: "https://e.com/#/search?q=alice", hash: true, path: "/#/search/:params"},
		{name: "e-mail in a path", url: "https://e.com/newsletter/confirmed/alice@example.com", path: "/newsletter/confirmed/:email"},
		{name: "e-mail percent-encoded in a path", url: "https://e.com/u2/alice%40example.com", path: "/u2/:email"},
		{name: "order number", url: "https://e.com/checkout/order-5512", path: "/checkout/order-:id"},
		{name: "long digit run", url: "https://e.com/track/004917012345678", path: "/track/:id"},
		{name: "UUID", url: "https://e.com/download/3f2504e0-4f89-11d3-9a0c-0305e82c3301", path: "/download/:token"},
		{name: "key=value in a path segment", url: "https://e.com/list;jsessionid=ABCDEF0123", path: "/list/:params"},
		{name: "matrix parameter after a segment", url: "https://e.com/shop/list;sid=42", path: "/shop/list/:params"},
		{name: "hash-mode profile", url: "https://e.com/#/users/alice", hash: true, path: "/#/users/:id"},
		{name: "campaign with an id", url: "https://e.com/?utm_campaign=spring-sale&utm_medium=email&utm_source=newsletter&utm_content=user_123456",
			path: "/", utm: UTM{Source: "newsletter", Medium: "email", Campaign: "spring-sale", Content: "user_:id"}, ref: "newsletter"},

		// Ordinary values stay readable.
		{name: "dated blog post", url: "https://e.com/blog/2024/10/my-post", path: "/blog/2024/10/my-post"},
		{name: "product number", url: "https://e.com/products/42", path: "/products/42"},
		{name: "four-digit product number", url: "https://e.com/products/1234", path: "/products/1234"},
		{name: "zero-padded page number", url: "https://e.com/s/0018", path: "/s/0018"},
		{name: "order after /orders/", url: "https://e.com/orders/5512", path: "/orders/:id"},
		{name: "customer number alone in utm_term", url: "https://e.com/?utm_term=4711", path: "/", utm: UTM{Term: ":id"}},
		{name: "versioned docs", url: "https://e.com/docs/v2/install", path: "/docs/v2/install"},
		{name: "a slug with a short number", url: "https://e.com/blog/top-100-tips-for-2025", path: "/blog/top-100-tips-for-2025"},
		{name: "covid19", url: "https://e.com/news/covid19-update", path: "/news/covid19-update"},
		{name: "keyword at the end", url: "https://e.com/account", path: "/account"},
		{name: "hash-mode route", url: "https://e.com/#/app/settings", hash: true, path: "/#/app/settings"},
		{name: "ref names a host", url: "https://e.com/?ref=producthunt.com", path: "/", ref: "producthunt.com"},
		{name: "ref names a brand", url: "https://e.com/?ref=google", path: "/", ref: "Google"},
		{name: "utm campaign names", url: "https://e.com/?utm_source=google&utm_medium=cpc&utm_campaign=black-friday-2025", path: "/",
			utm: UTM{Source: "google", Medium: "cpc", Campaign: "black-friday-2025"}, ref: "Google"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePage(tt.url, tt.hash)
			if err != nil {
				t.Fatal(err)
			}
			if p.Path != tt.path || p.UTM != tt.utm || p.Ref != tt.ref {
				t.Errorf("got path %q utm %+v ref %q\nwant path %q utm %+v ref %q", p.Path, p.UTM, p.Ref, tt.path, tt.utm, tt.ref)
			}
		})
	}
}

// FuzzRedactPath: whatever comes in, no '@' and no '=' come out, nothing
// is redacted twice (the rules are a fixed point), and a path stays a path.
func FuzzRedactPath(f *testing.F) {
	for _, s := range []string{"/", "/account/alice.smith", "/#/callback&access_token=X", "/a@b/c=d", "/blog/2024/10/my-post", "/x/123456/y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := RedactPath(p)
		if strings.ContainsAny(got, "@=") {
			t.Fatalf("RedactPath(%q) = %q keeps an '@' or '='", p, got)
		}
		if again := RedactPath(got); again != got {
			t.Fatalf("RedactPath(%q) = %q, and again %q", p, got, again)
		}
		if v := RedactValue(p); strings.ContainsAny(v, "@=") {
			t.Fatalf("RedactValue(%q) = %q keeps an '@' or '='", p, v)
		}
	})
}
