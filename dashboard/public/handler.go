package public

import (
	"bytes"
	"errors"
	"fmt"
	"path"
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
}

// New returns the public handlers. The noise secret is drawn here and
// lives as long as the process.
func New(store aggregate.Store, engine *aggregate.Engine, now func() time.Time, inst Instance) (*Handler, error) {
	secret, err := NewSecret()
	if err != nil {
		return nil, err
	}
	return &Handler{store: store, builder: NewBuilder(engine, secret), now: now, inst: inst}, nil
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
	{"30d", "Last 30 days"}, {"month", "This month"}, {"last_month", "Last month"}, {"12mo", "Last 12 months"},
}

// Share is GET /share/:slug — a read-only dashboard, a day at the finest.
func (h *Handler) Share(c *fiber.Ctx) error {
	sh, site, err := h.share(c)
	if err != nil {
		return err
	}
	loc := site.Location()
	rng := c.Query("range", "30d")
	per, err := RangePeriod(rng, h.now(), loc)
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, "unknown range: want 30d, month, last_month or 12mo")
	}
	rep, err := h.builder.Build(c.UserContext(), site, PolicyOf(sh), per, h.now())
	if err != nil {
		return err
	}
	base := "/share/" + sh.Slug
	pg := Page{Title: site.Domain + ": usage statistics", PrivacyHref: "/privacy?site=" + site.Domain}
	for _, r := range shareRanges {
		pg.Ranges = append(pg.Ranges, Link{Label: r.label, Href: base + "?range=" + r.name, On: r.name == rng})
	}
	for _, p := range reportPeriods(h.now().In(loc)) {
		l := Link{Label: p.label}
		for _, f := range Formats {
			l.Formats = append(l.Formats, Link{Label: strings.ToUpper(f), Href: base + "/report/" + p.name + "." + f})
		}
		l.Href = l.Formats[0].Href
		pg.Reports = append(pg.Reports, l)
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, rep, pg); err != nil {
		return err
	}
	publicHeaders(c)
	c.Type("html", "utf-8")
	return c.Send(buf.Bytes())
}

// reportPeriods are the reports the share page links to: this and last
// month, this quarter, this year.
func reportPeriods(now time.Time) []struct{ name, label string } {
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location())
	last := first.AddDate(0, -1, 0)
	q := fmt.Sprintf("%d-Q%d", now.Year(), (int(now.Month())-1)/3+1)
	return []struct{ name, label string }{
		{first.Format("2006-01"), first.Format("January 2006")},
		{last.Format("2006-01"), last.Format("January 2006")},
		{q, q},
		{now.Format("2006"), now.Format("2006")},
	}
}

// Report is GET /share/:slug/report/:period, e.g. 2026-10.html,
// 2026-Q4.json or 2026.csv.
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
		return fiber.NewError(fiber.StatusNotFound, "unknown report: want PERIOD.html, .json or .csv, PERIOD like 2026-10, 2026-Q4 or 2026")
	}
	rep, err := h.builder.Build(c.UserContext(), site, PolicyOf(sh), per, h.now())
	if errors.Is(err, ErrNotStarted) {
		return fiber.NewError(fiber.StatusNotFound, "this period has not started yet")
	}
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := Write(&buf, rep, format, Page{Title: ReportTitle(rep), PrivacyHref: "/privacy?site=" + site.Domain}); err != nil {
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
	return c.Send(buf.Bytes())
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

// Privacy is GET /privacy, optionally ?site=DOMAIN for one site's notice.
// Only a published site gets a notice of its own (its share already says
// it exists); for any other domain, tracked or not, the answer is the
// instance's notice, byte for byte, so the page cannot tell anyone which
// sites this tally counts.
func (h *Handler) Privacy(c *fiber.Ctx) error {
	var ns *NoticeSite
	if d := c.Query("site"); d != "" {
		site, err := h.store.Site(c.UserContext(), account.LookupDomain(d))
		if err != nil && !errors.Is(err, account.ErrNotFound) {
			return err
		}
		if err == nil {
			if sh, err := h.store.ShareBySite(c.UserContext(), site.ID); err == nil {
				ns = &NoticeSite{Domain: site.Domain, CountDNT: site.CountDNT, Share: &sh}
			} else if !errors.Is(err, account.ErrNotFound) {
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
