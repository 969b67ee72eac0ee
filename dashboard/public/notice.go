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
	// Controller names who decides about the statistics (the site's
	// operator), Contact how to reach them about privacy, LegalBasis the
	// basis they rely on; the operator sets them (--privacy-*).
	Controller, Contact, LegalBasis string
	// Retention says how long aggregates are kept, e.g. "25 months";
	// empty: until the site is deleted.
	Retention string
	// Geo is true when a location database is configured.
	Geo bool
	// Credits is the attribution the location database's licence asks
	// for where its data is shown; empty when none is asked.
	Credits string
	// Store says where the totals are kept: "" for the embedded database,
	// else the ClickHouse server's host.
	ClickHouseHost string
	// Checkpoint is how often counts are written to the store; the day's
	// visitor codes are forgotten at the first checkpoint after midnight.
	Checkpoint time.Duration
}

// NoticeSite narrows the notice to one published site: its consent-signal
// policy and its public report parameters.
type NoticeSite struct {
	Domain   string
	CountDNT bool
	Share    *account.Share // nil: not published
	// Usage is what the site counted beyond page views lately
	// (SiteUsage); nil: not looked up, and the notice says what a site
	// may count.
	Usage *Usage
}

// Statement is one sentence of the notice and the technical measure it
// rests on.
type Statement struct {
	Text, Measure string
}

// dimWords says in plain words what each stored dimension holds; the
// notice lists them all, and TestNoticeNamesEveryDimension fails when a
// dimension is added without words.
var dimWords = [aggregate.NumDims]string{
	aggregate.Hostname:       "the website's host name",
	aggregate.Page:           "the page's path",
	aggregate.Event:          "the event's name (a page view, or an action the website names, such as a sign-up)",
	aggregate.Source:         "the source of the visit (a search engine, a website's host, or a campaign's source)",
	aggregate.Referrer:       "the host name of the referring website",
	aggregate.UTMSource:      "the campaign source",
	aggregate.UTMMedium:      "the campaign medium",
	aggregate.UTMCampaign:    "the campaign name",
	aggregate.UTMContent:     "the campaign content",
	aggregate.UTMTerm:        "the campaign term",
	aggregate.EntryPage:      "the first page of the visit",
	aggregate.ExitPage:       "the last page of the visit",
	aggregate.Country:        "the country",
	aggregate.Region:         "the region",
	aggregate.Browser:        "the browser's name",
	aggregate.BrowserVersion: "its major version",
	aggregate.OS:             "the operating system",
	aggregate.OSVersion:      "its major version",
	aggregate.Device:         "the device type (desktop, mobile, tablet)",
	aggregate.Language:       "the browser's primary language",
}

// Notice derives the privacy notice from the instance's actual behaviour:
// the truncation and the visitor code of the collector, the salt and visit
// gap of the aggregator, the stored dimensions, the configured controller,
// retention, store and location database, and a published site's policy
// and share. site is nil for the instance's notice.
func Notice(inst Instance, site *NoticeSite) []Statement {
	v4 := collector.Truncate(netip.MustParseAddr("192.0.2.1")).Bits()
	v6 := collector.Truncate(netip.MustParseAddr("2001:db8::1")).Bits()
	who := "this website"
	if site != nil {
		who = site.Domain
	}
	var s []Statement
	add := func(text, measure string) { s = append(s, Statement{text, measure}) }

	controller := inst.Controller
	if controller == "" {
		controller = "the operator of " + who + " (not named in this tally's configuration)"
	}
	contact := inst.Contact
	if contact == "" {
		contact = "no contact is configured; use the website's own contact details"
	}
	add(fmt.Sprintf("Who is responsible: %s decides about these statistics. Contact for privacy questions: %s.", controller, contact),
		"Both are set by the operator in this tally's configuration.")
	basis := inst.LegalBasis
	if basis == "" {
		basis = "not stated by the operator; ask the contact above"
	}
	add(fmt.Sprintf("Purpose: to know how %s is used — how many people view which pages, where they come from, with which browsers and devices — in totals only. Legal basis: %s.", who, basis),
		"The purpose is what tally can do: count. The legal basis is set by the operator in this tally's configuration.")

	var dims []string
	for _, w := range dimWords {
		dims = append(dims, w)
	}
	add(fmt.Sprintf("We count visits to %s with tally, which keeps only totals: per hour, how many page views, events, visits, single-page visits, exits, seconds of visit duration and different visitors there were for each combination of %s. No record of an individual page view, visit or visitor is written anywhere.", who, strings.Join(dims, ", ")),
		"Each page view is added to hourly counters keyed by those values and then discarded; the store receives counters only (DESIGN.md invariant 1; tests scan every stored byte and try to link stored rows to visitors).")
	if text, ok := customEvents(site); ok {
		add(text, "collector.Props applies the value rules to every property (docs/design.md, \"What is stored\"); the props table holds counters per site, hour, event, key and value only; e-mail-like values and keys are counted in tally_props_dropped_total, not stored."+usageMeasure(site))
	}
	add("How far a page was scrolled and how long it was visible are counted per page as totals: how many page views reported them, the sum of their deepest scroll and the sum of their visible time.",
		"The engagement table holds those three counters per site, hour, host and page; a page view's deepest scroll is matched to its earlier reports in memory only, within the visit.")
	add("No cookies or similar identifiers are placed in your browser, and nothing is stored on your device.",
		"The tracking script sets no cookie and uses no local or session storage (it only reads an opt-out flag, if you set one yourself); the server sets no cookie on the counting request.")
	add(fmt.Sprintf("Your IP address is never stored. %sIt is shortened to its network part (the first %d bits of an IPv4 address, the first %d bits of an IPv6 address) before anything else is computed from it, and then discarded.", geoSentence(inst.Geo), v4, v6),
		fmt.Sprintf("The collector truncates the address to /%d (IPv4) or /%d (IPv6) in memory%s; neither form reaches disk, the store or a log.", v4, v6, geoClause(inst.Geo)))
	add(fmt.Sprintf("To tell how many different people visited on a day without identifying anyone, a code is computed from the shortened address, your browser's user-agent string and a secret that is random (%d bits), different on each server and new every day. The secret exists only in the server's memory and is replaced at midnight UTC, after which nobody, not even the operator, can compute that day's codes again. The codes are held only in the server's memory, never written to disk, the database or a log, and forgotten within %s after midnight UTC, when every visit in progress ends.", 8*aggregate.SaltSize, humanDuration(inst.Checkpoint)),
		fmt.Sprintf("Code: %s. Salt: %d random bytes from crypto/rand per server process and UTC day, zeroed and replaced by a timer at 00:00 UTC. The codes key an in-memory visit table and the day's in-memory set of first occurrences, both cleared at the first checkpoint (every %s) after 00:00 UTC.", collector.VisitorKeyMethod, aggregate.SaltSize, humanDuration(inst.Checkpoint)))
	add(fmt.Sprintf("The same code on the same day lets us group page views into a visit (a visit ends after %s without activity, and at midnight UTC). This link is held only in memory and forgotten when the visit ends.", humanDuration(aggregate.VisitGap)),
		"The session table is in memory only, bounded in size, and never written to disk or logged.")
	add("The user-agent string of your browser is not stored: only the browser name and major version, the operating system and its major version, and the device type are counted.",
		"The user agent is parsed into those categories in memory and then dropped.")
	add(fmt.Sprintf("Of the page address we keep the host and the path; the query string is removed except campaign parameters (utm_source, utm_medium, utm_campaign, utm_content, utm_term; ref and source only when they name a website or a well-known service), and the part after # is removed unless the website navigates by it. Parts that look personal are replaced before anything is counted: e-mail addresses (%s), numbers of five or more digits, and of four glued to other text such as cust-4711 (%s), codes mixing digits and letters (%s), name=value parts and everything after them (%s), and the part after account, user, profile, orders, reset-password and similar words (%s). Of the referring page we keep only its host name.",
		collector.PlaceholderEmail, collector.PlaceholderID, collector.PlaceholderToken, collector.PlaceholderParams, collector.PlaceholderID),
		"collector.ParsePage applies collector.RedactPath and RedactValue to the path, the kept fragment and the campaign values; collector/referrer keeps the referrer's host only (docs/design.md, \"Values that look personal\").")
	dntText := "If your browser sends Do Not Track or Global Privacy Control, your visit is not counted at all, unless the website has chosen to count such a visit as one anonymous page view (only the page's host and path; no other event, no campaign, referrer, browser, language or location, no code and no visit)."
	dntMeasure := "DNT: 1 or Sec-GPC: 1 on the request is decided from the headers before the body is read or the address looked at, and answered like any other request; a site with the count-dnt policy gets one page view of the page's host and path, with no visitor code, session or geo lookup."
	if site != nil && site.CountDNT {
		dntText = fmt.Sprintf("If your browser sends Do Not Track or Global Privacy Control, %s counts your visit only as one anonymous page view: the page's host and path, and nothing else — no other event, no campaign, referrer, browser, language or location, no code and no visit.", site.Domain)
	} else if site != nil {
		dntText = fmt.Sprintf("If your browser sends Do Not Track or Global Privacy Control, %s does not count your visit at all.", site.Domain)
	}
	add(dntText, dntMeasure)
	add("How to object: turn on Global Privacy Control or Do Not Track in your browser, set the opt-out flag (in the browser's console on this website: localStorage.tally_ignore = 'true'; the website may offer a button for it), or block the script. The tracking script then sends nothing.",
		"The tracker checks navigator.globalPrivacyControl, navigator.doNotTrack and localStorage.tally_ignore (or plausible_ignore) before every event; the server drops requests with DNT or GPC headers (above).")
	add("Your rights: because nothing that is kept can be linked to you — not even by the operator — a request to see, correct or delete the data about you cannot find any: there is none to find. You can object as described above, ask the contact above, and complain to a data protection supervisory authority.",
		"Totals carry no identifier; the codes that could link page views exist only in memory for one day (above).")
	if inst.Retention != "" {
		add(fmt.Sprintf("The totals are kept for %s and then deleted.", inst.Retention),
			"The server deletes aggregates older than the configured retention period every hour.")
	} else {
		add("The totals are kept until the site is removed from tally.",
			"No retention period is configured; deleting a site deletes all its aggregates.")
	}
	add("Backups and logs: tally makes no backups of its own; copies of its database that the operator makes hold the same totals and are kept as long as the operator decides. The server's log holds no visitor data (no address, user agent, page or code), only counts and errors.",
		"Log lines are written with fixed keys and never name a visitor's value (STYLE.md; tests scan the log of a run for addresses, user agents, query strings and search terms).")
	storeText := "in a database file on the server that runs tally"
	if inst.ClickHouseHost != "" {
		storeText = "in a ClickHouse database at " + inst.ClickHouseHost
	}
	add(fmt.Sprintf("Who receives the data: the totals are kept %s. The operator and the people they give access to the statistics dashboard or its API see them; nobody else, except the anonymous statistics a website chooses to publish (below). No third party receives anything: the script and the pages load nothing from elsewhere.", storeText),
		"Recipients follow from the configuration: the store (--data or --clickhouse), dashboard users and API keys, and public shares.")
	switch {
	case site != nil && site.Share != nil:
		p := PolicyOf(*site.Share)
		add(fmt.Sprintf("%s publishes anonymous usage statistics of closed days only (never today, nothing finer than a day). A published number never describes fewer than %d visitors, even when two published numbers are subtracted: smaller groups are combined, numbers are rounded to multiples of %d%s, and each day's and month's numbers are fixed once published.",
			site.Domain, p.MinVisitors, p.Round, noiseClause(p.Epsilon)),
			fmt.Sprintf("Every public view passes one protection layer: closed days only, numbers decided once per day and month and summed for longer periods, a group hidden in any month hidden in every period containing it, minimum group size K = %d, rounding N = %d, ε = %s per published number (two-sided geometric noise from a stored key; 0 means none).",
				p.MinVisitors, p.Round, strconv.FormatFloat(p.Epsilon, 'f', -1, 64)))
	default:
		add(fmt.Sprintf("A website may publish anonymous usage statistics of closed days only. A published number never describes fewer than the website's minimum group size (at least %d, %d by default) visitors, even when two published numbers are subtracted; numbers are rounded, and there are no times finer than a day. The notice of a website that publishes says so.",
			MinMinVisitors, DefaultMinVisitors),
			"Every public view passes one protection layer (closed days only, day and month buckets summed for longer periods, minimum group size, no small remainder recoverable by subtraction, rounding, optional noise).")
	}
	return s
}

// customEvents is the notice's sentence on custom events and properties:
// what a website may count, or for a site whose usage was looked up, the
// events and property keys it used (nothing when it used none).
func customEvents(site *NoticeSite) (string, bool) {
	rules := "These are counted the same way: per hour, per event name, property name and value, how many times and by how many different visitors — never per person. Property values must not carry personal data: a value (or a name) that looks like an e-mail address is dropped, the placeholders below replace what looks personal, and of a link's address only the host and path are kept."
	if site == nil || site.Usage == nil {
		return "A website may also count actions it names (custom events) with a few properties of its own, such as the plan chosen at a sign-up, or the address of a link followed or a file downloaded. " + rules, true
	}
	u := site.Usage
	if len(u.Events) == 0 && len(u.PropKeys) == 0 {
		return "", false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "In the last %d days %s also counted actions it names (custom events)", UsageDays, site.Domain)
	if len(u.Events) > 0 {
		fmt.Fprintf(&b, ": %s", quoteList(u.Events))
	}
	if len(u.PropKeys) > 0 {
		fmt.Fprintf(&b, ", with these properties of its own: %s", quoteList(u.PropKeys))
	}
	if u.More {
		b.WriteString(", among others")
	}
	b.WriteString(". " + rules)
	return b.String(), true
}

func usageMeasure(site *NoticeSite) string {
	if site == nil || site.Usage == nil {
		return ""
	}
	return fmt.Sprintf(" The names listed are those of the closed days of the last %d days sent by at least the site's minimum group size of visitors (public.SiteUsage); values are never listed.", UsageDays)
}

// quoteList lists names in quotes: they are the site's own words.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "“" + n + "”"
	}
	return strings.Join(q, ", ")
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
	switch {
	case d == time.Minute:
		return "1 minute"
	case d >= time.Minute && d%time.Minute == 0:
		return strconv.Itoa(int(d.Minutes())) + " minutes"
	case d <= 0:
		return "a few seconds"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " seconds"
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
