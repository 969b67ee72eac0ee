package dashboard

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/aggregate"
)

// Plausible's Stats API v1: GET endpoints with query parameters (site_id,
// period, date, metrics, filters, property, interval, compare, limit,
// page), still what many plugins and widgets call. They are a second
// spelling of the v2 query: each request becomes an aggregate.Query, run by
// the same engine under the same rules and the same API keys.

// v1Query is what every v1 endpoint shares, parsed.
type v1Query struct {
	q      aggregate.Query
	period string
	names  []string // the metrics as asked, for the answer's keys
}

// parseV1 checks the API key and reads the parameters the v1 endpoints
// share, with Plausible's defaults (period 30d, metrics visitors).
func (a *StatsAPI) parseV1(c *fiber.Ctx) (v1Query, error) {
	var v v1Query
	key, err := a.authorize(c)
	if err != nil {
		return v, err
	}
	site, err := a.site(c.UserContext(), key, c.Query("site_id"))
	if err != nil {
		return v, err
	}
	v.q.Site = site
	v.period = c.Query("period", "30d")
	if v.q.From, v.q.To, err = v1Range(v.period, c.Query("date"), a.now(), site.Location(), site.Created); err != nil {
		return v, badRequest("%v", err)
	}
	for _, m := range strings.Split(c.Query("metrics", "visitors"), ",") {
		m = strings.TrimSpace(m)
		if !aggregate.Metric(m).Valid() {
			return v, badRequest("metrics: unknown metric %q", m)
		}
		v.q.Metrics = append(v.q.Metrics, aggregate.Metric(m))
		v.names = append(v.names, m)
	}
	if v.q.Filters, err = parseV1Filters(c.Query("filters")); err != nil {
		return v, badRequest("filters: %v", err)
	}
	return v, nil
}

// v1Range resolves period and date as Plausible's v1 does: date is the day
// the period is relative to (default today), and for period=custom the
// range itself, "YYYY-MM-DD,YYYY-MM-DD". "month" and "year" with a date are
// that whole calendar month or year.
func v1Range(period, date string, now time.Time, loc *time.Location, since time.Time) (from, to time.Time, err error) {
	if period == "custom" {
		a, b, ok := strings.Cut(date, ",")
		if !ok {
			return from, to, errors.New(`period=custom needs date=YYYY-MM-DD,YYYY-MM-DD`)
		}
		if from, to, err = parseDays(strings.TrimSpace(a), strings.TrimSpace(b), loc); err != nil {
			return from, to, errors.New("date: " + err.Error())
		}
		return from, to, nil
	}
	ref := now
	if date != "" {
		d, err := aggregate.ParseDay(date, loc)
		if err != nil {
			return from, to, errors.New("date: " + err.Error())
		}
		ref = d.Add(12 * time.Hour)
	}
	if from, to, err = aggregate.Range(period, ref, loc, since); err != nil {
		return from, to, errors.New("period: " + err.Error() + " (want day, 7d, 30d, month, 6mo, 12mo, year, all or custom)")
	}
	if date != "" {
		switch period {
		case "month":
			to = from.AddDate(0, 1, -1)
		case "year":
			to = from.AddDate(1, 0, -1)
		}
	}
	return from, to, nil
}

// parseV1Filters reads Plausible's v1 filter syntax: conditions joined by
// ";", each "dimension==value", "!=" (is not), "~" (contains) or "!~"
// (does not contain); "|" separates values (any of them; "\|" is a
// literal bar), and a value with "*" is a wildcard ("*" stays within one
// path segment, "**" spans any).
func parseV1Filters(s string) ([]aggregate.Filter, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []aggregate.Filter
	for _, cond := range strings.Split(s, ";") {
		cond = strings.TrimSpace(cond)
		i, opLen, op := -1, 0, ""
		for _, o := range []struct{ tok, op string }{{"==", aggregate.OpIs}, {"!=", aggregate.OpIsNot}, {"!~", aggregate.OpContainsNot}, {"~", aggregate.OpContains}} {
			if j := strings.Index(cond, o.tok); j > 0 && (i < 0 || j < i) {
				i, opLen, op = j, len(o.tok), o.op
			}
		}
		if i < 0 {
			return nil, errors.New("want dimension==value, !=, ~ or !~ in " + strconv.Quote(cond))
		}
		name, raw := strings.TrimSpace(cond[:i]), cond[i+opLen:]
		values := splitV1Values(raw)
		if wild(values) && (op == aggregate.OpIs || op == aggregate.OpIsNot) {
			for k, v := range values {
				values[k] = wildcardPattern(v)
			}
			op = map[string]string{aggregate.OpIs: aggregate.OpMatches, aggregate.OpIsNot: aggregate.OpMatchesNot}[op]
		}
		f, err := aggregate.NewNamedFilter(op, name, values)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// splitV1Values splits at every "|" not escaped as "\|".
func splitV1Values(raw string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(raw); i++ {
		switch {
		case raw[i] == '\\' && i+1 < len(raw) && raw[i+1] == '|':
			cur.WriteByte('|')
			i++
		case raw[i] == '|':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(raw[i])
		}
	}
	return append(out, cur.String())
}

func wild(values []string) bool {
	for _, v := range values {
		if strings.Contains(v, "*") {
			return true
		}
	}
	return false
}

// wildcardPattern turns a v1 wildcard into an anchored RE2 pattern.
func wildcardPattern(v string) string {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(v); i++ {
		switch {
		case strings.HasPrefix(v[i:], "**"):
			b.WriteString(".*")
			i++
		case v[i] == '*':
			b.WriteString("[^/]*")
		default:
			b.WriteString(regexp.QuoteMeta(v[i : i+1]))
		}
	}
	b.WriteString("$")
	return b.String()
}

// V1Realtime answers GET /api/v1/stats/realtime/visitors: the number of
// visitors in the last five minutes, as a bare number.
func (a *StatsAPI) V1Realtime(c *fiber.Ctx) error {
	key, err := a.authorize(c)
	if err != nil {
		return err
	}
	site, err := a.site(c.UserContext(), key, c.Query("site_id"))
	if err != nil {
		return err
	}
	n := 0
	if a.Realtime != nil {
		n = a.Realtime(site.ID, a.now().Add(-5*time.Minute))
	}
	return c.JSON(n)
}

// V1Aggregate answers GET /api/v1/stats/aggregate:
// {"results":{"visitors":{"value":N}}}, with "change" (percent; points for
// bounce_rate) and "comparison_value" when compare=previous_period or
// year_over_year.
func (a *StatsAPI) V1Aggregate(c *fiber.Ctx) error {
	v, err := a.parseV1(c)
	if err != nil {
		return err
	}
	cur, err := a.engine.Run(c.UserContext(), v.q)
	if err != nil {
		return err
	}
	var prev *aggregate.Result
	if mode := c.Query("compare"); mode != "" {
		pq := v.q
		var ok bool
		if pq.From, pq.To, ok, err = aggregate.Compared(mode, v.q.From, v.q.To); err != nil {
			return badRequest("compare: %v", err)
		}
		if ok {
			r, err := a.engine.Run(c.UserContext(), pq)
			if err != nil {
				return err
			}
			prev = &r
		}
	}
	out := map[string]map[string]any{}
	for i, name := range v.names {
		val := metricAt(cur, i)
		m := map[string]any{"value": aggregate.Number(val)}
		if prev != nil {
			p := metricAt(*prev, i)
			m["comparison_value"] = aggregate.Number(p)
			m["change"] = metricChange(v.q.Metrics[i], val, p)
		}
		out[name] = m
	}
	return c.JSON(fiber.Map{"results": out})
}

// metricChange is Plausible's change figure (v1's change, v2's
// comparisons): whole percent, or the difference in points for bounce
// rate; from nothing to something is 100.
func metricChange(m aggregate.Metric, cur, prev float64) aggregate.Number {
	switch {
	case m == aggregate.BounceRate:
		return aggregate.Number(cur - prev)
	case prev == 0 && cur > 0:
		return 100
	case prev == 0:
		return 0
	}
	return aggregate.Number(math.Round(100 * (cur - prev) / prev))
}

// v1Intervals map the v1 interval names to the engine's grains and the
// dashboard's bucket names (which fill the gaps).
var v1Intervals = map[string]string{"hour": "hour", "date": "day", "day": "day", "week": "week", "month": "month"}

// V1Timeseries answers GET /api/v1/stats/timeseries:
// {"results":[{"date":"2025-01-01","visitors":N}, …]}, one entry for every
// bucket of the range, empty ones included.
func (a *StatsAPI) V1Timeseries(c *fiber.Ctx) error {
	v, err := a.parseV1(c)
	if err != nil {
		return err
	}
	interval := c.Query("interval")
	if interval == "" {
		switch v.period {
		case "day":
			interval = "hour"
		case "6mo", "12mo", "year", "all":
			interval = "month"
		default:
			interval = "date"
		}
	}
	grain, ok := v1Intervals[interval]
	if !ok {
		return badRequest("interval: unknown interval %q: want hour, date, week or month", interval)
	}
	days := int(v.q.To.Sub(v.q.From).Hours()/24+0.5) + 1
	if grain == "hour" && days > 31 {
		return badRequest("interval: hour is allowed for ranges of up to 31 days")
	}
	v.q.Dimensions = []aggregate.Dimension{{Name: "time:" + grain, Grain: grains[grain]}}
	res, err := a.engine.Run(c.UserContext(), v.q)
	if err != nil {
		return err
	}
	got := make(map[string][]aggregate.Number, len(res.Rows))
	for _, r := range res.Rows {
		got[r.Dimensions[0]] = r.Metrics
	}
	out := make([]map[string]any, 0)
	for _, b := range buckets(grain, v.q.From, v.q.To) {
		e := map[string]any{"date": b.key}
		for i, name := range v.names {
			e[name] = aggregate.Number(0)
			if ms, ok := got[b.key]; ok {
				e[name] = ms[i]
			}
		}
		out = append(out, e)
	}
	return c.JSON(fiber.Map{"results": out})
}

// V1Breakdown answers GET /api/v1/stats/breakdown: one entry per value of
// property, keyed by its name without the "visit:"/"event:" prefix
// ({"results":[{"browser":"Firefox","visitors":N}, …]}), a custom
// property's by the property's name; limit (default
// 100, at most 1000) and page (from 1) page through them.
func (a *StatsAPI) V1Breakdown(c *fiber.Ctx) error {
	v, err := a.parseV1(c)
	if err != nil {
		return err
	}
	prop := c.Query("property")
	if prop == "" {
		return badRequest("property is required, e.g. property=visit:source")
	}
	d, err := aggregate.ParseDimension(prop, v.q.From, v.q.To)
	if err != nil || d.Grain != aggregate.NoTime {
		if err == nil {
			err = errors.New("a time dimension: use /api/v1/stats/timeseries")
		}
		return badRequest("property: %v", err)
	}
	v.q.Dimensions = []aggregate.Dimension{d}
	limit, page := c.QueryInt("limit", 100), c.QueryInt("page", 1)
	if limit < 1 || limit > 1000 {
		return badRequest("limit: must be 1–1000")
	}
	if page < 1 || page > 1_000_000 {
		return badRequest("page: must be 1 or more")
	}
	v.q.Limit, v.q.Offset = limit, (page-1)*limit
	res, err := a.engine.Run(c.UserContext(), v.q)
	if err != nil {
		return err
	}
	key := prop[strings.IndexByte(prop, ':')+1:]
	if d.Dim == aggregate.PropValue {
		key = d.Prop // Plausible keys a property's rows by its name
	}
	out := make([]map[string]any, 0, len(res.Rows))
	for _, r := range res.Rows {
		e := map[string]any{key: r.Dimensions[0]}
		for i, name := range v.names {
			e[name] = r.Metrics[i]
		}
		out = append(out, e)
	}
	return c.JSON(fiber.Map{"results": out})
}
