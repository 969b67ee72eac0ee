package public

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/account"
	"tally/aggregate"
)

// Handler serves the public views: shared dashboards, published reports
// and the privacy notice. None needs a login; all go through Builder.
type Handler struct {
	store   aggregate.Store
	builder *Builder
	now     func() time.Time
	inst    Instance
	pages   *pageCache // rendered share pages (cache.go)
}

// New returns the public handlers. Their noise is keyed by each site's
// noise key in store, so every instance and restart publishes the same.
func New(store aggregate.Store, engine *aggregate.Engine, now func() time.Time, inst Instance) (*Handler, error) {
	b := NewBuilder(engine, store)
	b.Credits = inst.Credits
	return &Handler{store: store, builder: b, now: now, inst: inst, pages: newPageCache(now)}, nil
}

var errNotFound = fiber.NewError(fiber.StatusNotFound, "not found")

// share resolves a slug to its share and site; anything unknown or
// unpublished is the same 404, so probing learns nothing.
func (h *Handler) share(c *fiber.Ctx) (account.Share, account.Site, error) {
	if !ValidSlug(c.Params("slug")) {
		return account.Share{}, account.Site{}, errNotFound
	}
	sh, err := h.store.ShareBySlug(c.UserContext(), c.Params("slug"))
	if errors.Is(err, account.ErrNotFound) {
		return sh, account.Site{}, errNotFound
	}
	if err != nil {
		return sh, account.Site{}, err
	}
	site, err := h.store.SiteByID(c.UserContext(), sh.Site)
	if errors.Is(err, account.ErrNotFound) {
		return sh, site, errNotFound
	}
	return sh, site, err
}

// publicHeaders keep public pages self-contained, unindexed, and from
// leaking their unguessable path to other sites through Referer.
func publicHeaders(c *fiber.Ctx) {
	c.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("X-Robots-Tag", "noindex")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
}

var shareRanges = []struct{ name, label string }{
	{"last_month", "Last month"}, {"30d", "Last 30 days"}, {"month", "This month to yesterday"}, {"12mo", "Last 12 whole months"},
}

// Share is GET /share/:slug — a read-only dashboard of closed days only
// (it ends yesterday), a day at the finest.
func (h *Handler) Share(c *fiber.Ctx) error {
	sh, site, err := h.share(c)
	if err != nil {
		return err
	}
	loc := site.Location()
	// Last month by default: tables are published per whole closed month,
	// so it is the latest view that has them.
	rng := c.Query("range", "last_month")
	now := h.now()
	per, err := RangePeriod(rng, now, loc)
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, "unknown range: want last_month, 30d, month or 12mo")
	}
	key := fmt.Sprintf("%s\x00%s\x00%+v\x00%s", sh.Slug, rng, PolicyOf(sh), now.In(loc).Format(time.DateOnly))
	page, err := h.pages.get(c.UserContext(), key, func() ([]byte, error) {
		return h.sharePage(c.UserContext(), sh, site, per, rng, now)
	})
	if err != nil {
		return err
	}
	publicHeaders(c)
	c.Type("html", "utf-8")
	return c.Send(page)
}

// sharePage builds and renders one share view.
func (h *Handler) sharePage(ctx context.Context, sh account.Share, site account.Site, per Period, rng string, now time.Time) ([]byte, error) {
	loc := site.Location()
	rep, err := h.builder.Build(ctx, site, PolicyOf(sh), per, now)
	if err != nil {
		return nil, err
	}
	base := "/share/" + sh.Slug
	pg := Page{Title: site.Domain + ": usage statistics", PrivacyHref: "/privacy?site=" + site.Domain, Credits: h.inst.Credits,
		DetailsBase: base + "/details/", DetailsRange: rng}
	for _, r := range shareRanges {
		pg.Ranges = append(pg.Ranges, Link{Label: r.label, Href: base + "?range=" + r.name, On: r.name == rng})
	}
	for _, p := range reportPeriods(now.In(loc)) {
		l := Link{Label: p.label}
		for _, f := range Formats {
			l.Formats = append(l.Formats, Link{Label: strings.ToUpper(f), Href: base + "/report/" + p.name + "." + f})
		}
		l.Href = l.Formats[0].Href
		pg.Reports = append(pg.Reports, l)
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, rep, pg); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// reportPeriods are the reports the share page links to, all closed: the
// last two whole months, the last whole quarter and the last whole year.
func reportPeriods(now time.Time) []struct{ name, label string } {
	m := lastWholeMonth(LastClosedDay(now, now.Location()))
	prev := m.AddDate(0, -1, 0)
	// The last quarter and year that ended by the end of month m.
	qEnd := m.AddDate(0, -(int(m.Month()) % 3), 0) // first day of the quarter's last month
	if int(m.Month())%3 == 0 {
		qEnd = m
	}
	q := fmt.Sprintf("%d-Q%d", qEnd.Year(), (int(qEnd.Month())-1)/3+1)
	y := m.Year()
	if m.Month() != time.December {
		y--
	}
	return []struct{ name, label string }{
		{m.Format("2006-01"), m.Format("January 2006")},
		{prev.Format("2006-01"), prev.Format("January 2006")},
		{q, q},
		{strconv.Itoa(y), strconv.Itoa(y)},
	}
}

// Report is GET /share/:slug/report/:period, e.g. 2026-10.html,
// 2026-Q4.json or 2026.csv: the stored bytes of a closed period's report
// (Builder.Published).
func (h *Handler) Report(c *fiber.Ctx) error {
	sh, site, err := h.share(c)
	if err != nil {
		return err
	}
	file := c.Params("period")
	ext := path.Ext(file)
	format := strings.TrimPrefix(ext, ".")
	per, err := ParsePeriod(strings.TrimSuffix(file, ext), site.Location())
	if err != nil || !validFormat(format) {
		return fiber.NewError(fiber.StatusNotFound, "unknown report: want PERIOD.html, .json or .csv, PERIOD like 2026-10-05, 2026-W41, 2026-10, 2026-Q4 or 2026")
	}
	body, err := h.builder.Published(c.UserContext(), site, sh, per, format, h.now())
	if errors.Is(err, ErrNotStarted) || errors.Is(err, ErrNotClosed) {
		return fiber.NewError(fiber.StatusNotFound, "this period has not ended yet: reports cover closed periods only")
	}
	if err != nil {
		return err
	}
	publicHeaders(c)
	switch format {
	case "json":
		c.Type("json", "utf-8")
	case "csv":
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, fmt.Sprintf("inline; filename=%q", site.Domain+"-"+per.Name+".csv"))
	default:
		c.Type("html", "utf-8")
	}
	return c.Send(body)
}

func validFormat(f string) bool {
	for _, g := range Formats {
		if f == g {
			return true
		}
	}
	return false
}

// ReportTitle is the heading of a report document.
func ReportTitle(r *Report) string {
	return fmt.Sprintf("%s: usage report %s", r.Site, r.Period.Name)
}

// Write renders rep in format (html, json or csv); pg matters for HTML only.
func Write(w *bytes.Buffer, rep *Report, format string, pg Page) error {
	switch format {
	case "html":
		return WriteHTML(w, rep, pg)
	case "json":
		return WriteJSON(w, rep)
	case "csv":
		return WriteCSV(w, rep)
	}
	return fmt.Errorf("unknown format %q: want html, json or csv", format)
}

// Privacy is GET /privacy, optionally ?site=DOMAIN. Only a published
// site gets a notice of its own (its share is public anyway); any other
// name — tracked, unpublished or unknown — gets the instance's notice,
// byte for byte, so the page tells nobody which domains this instance
// counts.
func (h *Handler) Privacy(c *fiber.Ctx) error {
	var ns *NoticeSite
	if d := c.Query("site"); d != "" {
		site, err := h.store.Site(c.UserContext(), account.LookupDomain(d))
		if err != nil && !errors.Is(err, account.ErrNotFound) {
			return err
		}
		if err == nil {
			sh, err := h.store.ShareBySite(c.UserContext(), site.ID)
			switch {
			case err == nil && ValidSlug(sh.Slug):
				ns = &NoticeSite{Domain: site.Domain, CountDNT: site.CountDNT, Share: &sh}
				u, err := SiteUsage(c.UserContext(), h.builder.engine, site, h.now(), PolicyOf(sh).MinVisitors)
				if err != nil {
					return err
				}
				ns.Usage = &u
			case err != nil && !errors.Is(err, account.ErrNotFound):
				return err
			}
		}
	}
	var buf bytes.Buffer
	if err := WriteNoticeHTML(&buf, Notice(h.inst, ns)); err != nil {
		return err
	}
	publicHeaders(c)
	c.Type("html", "utf-8")
	return c.Send(buf.Bytes())
}
