package collector

import (
	"net/url"
	"strings"
	"testing"
)

// queryValues must agree with url.ParseQuery followed by Get.
func FuzzQueryValues(f *testing.F) {
	for _, s := range []string{"", "utm_source=a&utm_source=b", "utm_source=&utm_source=b", "utm_source=%zz&utm_source=ok",
		"utm%5Fsource=x", "a=1;utm_source=2&utm_medium=m", "ref=hn&source=x", "utm_term=a+b%20c", "&&=&utm_content==x", "utm_campaign"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if strings.Count(raw, "&") >= 9_000 {
			t.Skip("ParseQuery gives up past 10 000 parameters; page URLs cannot get there")
		}
		var got [len(queryNames)]string
		queryValues(raw, &got)
		want, _ := url.ParseQuery(raw)
		for i, name := range queryNames {
			if got[i] != want.Get(name) {
				t.Fatalf("%q: %s = %q, url.ParseQuery says %q", raw, name, got[i], want.Get(name))
			}
		}
	})
}
