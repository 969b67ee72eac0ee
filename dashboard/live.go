package dashboard

import (
	"math"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"tally/account"
	"tally/aggregate"
)

// The realtime page: visitors per minute over the last half hour, and what
// the current visitors read, where they came from and where they are. It
// reads the aggregator's memory (aggregate.Live), not the store, so it
// starts empty after a restart. The page works without JavaScript; with it,
// app.js swaps in a fresh copy every few seconds.

// LiveView is the realtime page's data.
type LiveView struct {
	Site      account.Site
	Back      string
	Current   int
	Bars      []LiveBar
	MaxLabel  string // the chart's top, in visitors
	Pages     []PanelRow
	Sources   []PanelRow
	Countries []PanelRow
}

// LiveBar is one minute of the chart: its height in percent of the top.
type LiveBar struct {
	Label               string // "10:31"
	Visitors, Pageviews int
	Pct                 float64
}

// LivePage answers GET /:domain/live.
func (d *Dashboard) LivePage(c *fiber.Ctx) error {
	site, err := d.SiteFor(c.UserContext(), CurrentUser(c), c.Params("domain"))
	if err != nil {
		return err
	}
	var live aggregate.Live
	if d.cfg.Live != nil {
		live = d.cfg.Live(site.ID, realtimeWindow)
	}
	base := "/" + url.PathEscape(site.Domain)
	v := &LiveView{Site: site, Back: base, Current: live.Current}
	top := 0
	for _, m := range live.Minutes {
		top = max(top, m.Visitors)
	}
	scale, _ := niceScale(float64(top))
	v.MaxLabel = formatCount(scale)
	loc := site.Location()
	for _, m := range live.Minutes {
		v.Bars = append(v.Bars, LiveBar{Label: m.At.In(loc).Format("15:04"), Visitors: m.Visitors, Pageviews: m.Pageviews,
			Pct: math.Round(1000*float64(m.Visitors)/scale) / 10})
	}
	rows := func(dim aggregate.Dim, counts []aggregate.LiveCount) []PanelRow {
		var out []PanelRow
		for _, lc := range counts {
			pr := PanelRow{Label: showValue(dim, lc.Value), Values: []string{formatCount(float64(lc.N))},
				Filter: State{Period: "day"}.WithFilter(dim, lc.Value).Link(base)}
			if live.Current > 0 {
				pr.Bar = 100 * float64(lc.N) / float64(live.Current)
			}
			out = append(out, pr)
		}
		return out
	}
	v.Pages, v.Sources, v.Countries = rows(aggregate.Page, live.Pages), rows(aggregate.Source, live.Sources), rows(aggregate.Country, live.Countries)
	return render(c, fiber.StatusOK, "live", d.page(c, "Realtime · "+site.Domain, v))
}
