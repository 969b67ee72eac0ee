package public

import (
	"strings"
	"testing"
	"time"

	"tally/aggregate"
)

// TestPrivacyNoticeListsCustomEvents: a published site's notice names the
// custom events and property keys it used in the closed days of the last
// 90 days — those sent by at least K visitors, escaped — never a value;
// a site that used none gets no sentence on them.
func TestPrivacyNoticeListsCustomEvents(t *testing.T) {
	d := newDataset(t)
	event := func(n int, day int, name string, props ...aggregate.Prop) {
		for range n {
			d.nextID++
			var k aggregate.Key
			k[aggregate.Hostname], k[aggregate.Page], k[aggregate.Event] = d.site.Domain, "/", name
			d.agg.Add(aggregate.Hit{Site: d.site.ID, Time: day0.AddDate(0, 0, day).Add(time.Duration(d.nextID) * time.Second),
				Visitor: uint64(1000 + d.nextID), Key: k, Props: props})
		}
	}
	event(30, 0, "Signup", aggregate.Prop{Key: "plan", Value: "secret-plan-value"})
	event(30, 1, "<b>Buy</b>", aggregate.Prop{Key: `=cmd|' /C calc'!A0`, Value: "x"})
	event(1, 2, "Lonely", aggregate.Prop{Key: "madeup", Value: "y"})   // under K visitors
	event(40, -100, "Ancient", aggregate.Prop{Key: "old", Value: "z"}) // before the 90 days
	srv := servePublic(t, d, Policy{MinVisitors: 25, Round: 10})

	_, _, body := get(t, srv.url+"/privacy?site="+d.site.Domain)
	for _, want := range []string{"In the last 90 days hostile.example also counted actions it names (custom events)",
		"“Signup”", "“&lt;b&gt;Buy&lt;/b&gt;”", "“plan”", "“=cmd|&#39; /C calc&#39;!A0”", "must not carry personal data", "e-mail address is dropped"} {
		if !strings.Contains(body, want) {
			t.Errorf("the site's notice does not say %q", want)
		}
	}
	for _, wrong := range []string{"<b>Buy", "Lonely", "madeup", "Ancient", "secret-plan-value", "A website may also count"} {
		if strings.Contains(body, wrong) {
			t.Errorf("the site's notice says %q", wrong)
		}
	}
	if _, _, plain := get(t, srv.url+"/privacy"); !strings.Contains(plain, "A website may also count actions it names") {
		t.Error("the instance's notice lost its sentence on custom events")
	}

	// A site that used none: no sentence on them, in either form.
	none := Notice(Instance{}, &NoticeSite{Domain: "quiet.example", Usage: &Usage{}})
	var text strings.Builder
	if err := WriteNoticeText(&text, none); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "custom events") {
		t.Errorf("a site without custom events is told about them:\n%s", text.String())
	}
}
