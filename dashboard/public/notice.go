package public

import (
	"fmt"
	"html/template"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"tally/account"
	"tally/aggregate"
	"tally/collector"
)

// Instance is what the privacy notice needs to know of this tally's
// configuration (cmd/tally fills it from the one settings table).
type Instance struct {
	// Retention says how long aggregates are kept, e.g. "25 months";
	// empty: until the site is deleted.
	Retention string
	// Geo is true when a location database is configured.
	Geo bool
}

// NoticeSite narrows the notice to one site: its consent-signal policy
// and, when published, its public report parameters.
type NoticeSite struct {
	Domain   string
	CountDNT bool
	Share    *account.Share // nil: not published
}

// Statement is one sentence of the notice and the technical measure it
// rests on.
type Statement struct {
	Text, Measure string
}

// Notice derives the privacy notice from the instance's actual behaviour:
// the truncation the collector applies, the visit gap and the salt of the
// aggregator, the configured retention, the site's policy and share.
func Notice(inst Instance, site *NoticeSite) []Statement {
	v4 := collector.Truncate(netip.MustParseAddr("192.0.2.1")).Bits()
	v6 := collector.Truncate(netip.MustParseAddr("2001:db8::1")).Bits()
	who := "this website"
	if site != nil {
		who = site.Domain
	}
	var s []Statement
	add := func(text, measure string) { s = append(s, Statement{text, measure}) }

	add(fmt.Sprintf("We count visits to %s with tally, a privacy-first analytics tool. It keeps only totals, such as how many people viewed a page on a day, and never a record of an individual visit or visitor.", who),
		"Each page view is added to hourly counters (per page, source, country, browser, device and language) and then discarded; no per-event or per-visitor row is written anywhere.")
	add("No cookies or similar identifiers are placed in your browser, and nothing is stored on your device.",
		"The tracking script sets no cookie and uses no local or session storage (only an opt-out flag, if you set one yourself); the server sets no cookie on the counting request.")
	add(fmt.Sprintf("Your IP address is never stored. %sIt is shortened to its network part (the first %d bits of an IPv4 address, the first %d bits of an IPv6 address) before anything else is computed from it, and then discarded.", geoSentence(inst.Geo), v4, v6),
		fmt.Sprintf("The collector truncates the address to /%d (IPv4) or /%d (IPv6) in memory%s; neither form reaches disk, the store or a log.", v4, v6, geoClause(inst.Geo)))
	add("To tell how many different people visited on a day without identifying anyone, a one-way code is computed from the shortened address, your browser's user-agent and a random daily secret. The secret exists only in the server's memory and is destroyed every day at midnight UTC, after which nobody, not even the operator, can compute yesterday's codes again. The codes are never stored, in any form: they only decide, in memory, whether a page view is your first of the day for a counter.",
		"Keyed hash (SHA-256) of (daily salt, site, truncated IP, user agent); the salt is held in process memory only and replaced by a timer at 00:00 UTC; codes key an in-memory visit table and an in-memory set of first occurrences that is cleared at 00:00 UTC; the store receives counters only.")
	add(fmt.Sprintf("The same code on the same day lets us group page views into a visit (a visit ends after %s without activity). This link is held only in memory and forgotten when the visit ends.", humanDuration(aggregate.VisitGap)),
		"The session table is in memory only, bounded in size, and never written to disk or logged.")
	add("The user-agent string of your browser is not stored: only the browser name and major version, the operating system and its version, and the device type (desktop, mobile, tablet) are counted.",
		"The user agent is parsed into those categories in memory and then dropped.")
	add("Of the page address we keep the host and path; other query parameters are removed (campaign parameters such as utm_source are kept as campaign names). Of the referring page we keep its site and path, without its query string.",
		"The collector strips the query string and fragment before anything is counted.")
	if site == nil {
		add("If your browser sends Do Not Track or Global Privacy Control, your visit is not counted at all, unless a site has chosen to count such visits as an anonymous page view only (no visitor code, no visit, no location); the notice of each site says which it does.",
			"DNT: 1 or Sec-GPC: 1 on the request drops the hit before it is parsed (the default), or, for a site with the count-dnt policy, adds one page view without a visitor key, session or geo lookup; the tracking script also checks navigator.doNotTrack and navigator.globalPrivacyControl.")
	} else if site.CountDNT {
		add(fmt.Sprintf("If your browser sends Do Not Track or Global Privacy Control, %s counts your visit only as an anonymous page view: no visitor code, no visit, no location.", site.Domain),
			"The site's policy is count-dnt: such hits add to the page view counter only, without a visitor key, session or geo lookup.")
	} else {
		add(fmt.Sprintf("If your browser sends Do Not Track or Global Privacy Control, %s does not count your visit at all.", site.Domain),
			"DNT: 1 or Sec-GPC: 1 on the request drops the hit before it is parsed; the tracking script does not send it either.")
	}
	if inst.Retention != "" {
		add(fmt.Sprintf("The totals are kept for %s and then deleted.", inst.Retention),
			"The server deletes aggregates older than the configured retention period every hour.")
	} else {
		add("The totals are kept until the site is removed from tally.",
			"No retention period is configured; deleting a site deletes all its aggregates.")
	}
	switch {
	case site != nil && site.Share != nil:
		p := PolicyOf(*site.Share)
		add(fmt.Sprintf("%s publishes anonymous usage statistics. A published number never describes fewer than %d visitors: smaller groups are combined, numbers are rounded to multiples of %d%s, and there are no times finer than a day.",
			site.Domain, p.MinVisitors, p.Round, noiseClause(p.Epsilon)),
			fmt.Sprintf("Every public view passes one protection layer: minimum group size K = %d, no remainder below K recoverable by subtraction, rounding N = %d, ε = %s (two-sided geometric noise; 0 means none).",
				p.MinVisitors, p.Round, strconv.FormatFloat(p.Epsilon, 'f', -1, 64)))
	case site != nil:
		add(fmt.Sprintf("%s does not publish its statistics.", site.Domain), "Publishing is off for this site; its share path answers 404.")
	default:
		add(fmt.Sprintf("A site may publish anonymous usage statistics. A published number never describes fewer than the site's minimum group size (at least %d, %d by default) visitors, numbers are rounded, and there are no times finer than a day.",
			MinMinVisitors, DefaultMinVisitors),
			"Every public view passes one protection layer (minimum group size, no small remainder recoverable by subtraction, rounding, optional noise).")
	}
	return s
}

func geoSentence(geo bool) string {
	if geo {
		return "It is used once, in memory, to look up your country and region in a local database (no outside service is asked). "
	}
	return ""
}

func geoClause(geo bool) string {
	if geo {
		return ", after the full address was used once to look up the country and region in a local database"
	}
	return " (no location lookup is configured)"
}

func noiseClause(eps float64) string {
	if eps > 0 {
		return fmt.Sprintf(", random noise is added (ε = %s)", strconv.FormatFloat(eps, 'f', -1, 64))
	}
	return ""
}

func humanDuration(d time.Duration) string {
	return strconv.Itoa(int(d.Minutes())) + " minutes"
}

// WriteNoticeText writes the notice as plain text a site owner can paste
// into a privacy policy, each sentence followed by its measure.
func WriteNoticeText(w io.Writer, st []Statement) error {
	var b strings.Builder
	b.WriteString("Privacy notice: website statistics\n\n")
	for _, s := range st {
		fmt.Fprintf(&b, "%s\n  [How: %s]\n\n", s.Text, s.Measure)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

var noticeTmpl = template.Must(template.New("notice").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Privacy notice: website statistics</title><link rel="icon" href="data:,">
<style>body{font:16px/1.5 system-ui,sans-serif;color:#1d2430;max-width:760px;margin:2rem auto;padding:0 1rem}
li{margin:0 0 1rem}small{display:block;color:#5b6472}</style></head>
<body><h1>Privacy notice: website statistics</h1>
<ul>{{range .}}<li>{{.Text}}<small>How: {{.Measure}}</small></li>{{end}}</ul>
</body></html>
`))

// WriteNoticeHTML writes the notice as a self-contained page.
func WriteNoticeHTML(w io.Writer, st []Statement) error { return noticeTmpl.Execute(w, st) }
