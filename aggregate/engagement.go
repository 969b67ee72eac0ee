package aggregate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Engagement — how far a page view was scrolled and how long it held the
// visitor's attention — is counted per site, UTC hour, hostname and page:
// the page views that reported engagement, the sum of their deepest scroll
// (percent) and the sum of their engaged time (ms). scroll_depth is then
// the mean deepest scroll per page view and time_on_page the mean engaged
// time per page view: sums over sums, like every other metric.
//
// A page view may report several times (each time the page is hidden, and
// when an SPA navigates away); its deepest scroll must count once, at its
// maximum. The visit in progress (memory only, like everything that
// decides a counter) remembers the page view being reported and its
// deepest scroll so far, so that a later report adds only the difference.
// A hit without a visit counts each report as a page view.
//
// Engagement travels as a cell whose Hostname field holds engMark (and the
// page's hostname in Source), like property cells (props.go), so that the
// journal, spilling and exactly-once batches apply; the stores keep such
// cells in their own table (engagement). Its counters are carried in
// Visits (page views), Bounces (scroll sum) and Duration (time, ms).

// EngagementEvent is the event name of an engagement report. It is never
// counted as a pageview or an event.
const EngagementEvent = "engagement"

const engMark = "\x00eng"

// EngagementCellKey returns the key of the engagement cell of a page.
func EngagementCellKey(hostname, page string) Key {
	var k Key
	k[Hostname] = engMark
	k[Source] = hostname
	k[Page] = page
	return k
}

// EngagementOf reports whether k is an engagement cell's key, and its page.
func EngagementOf(k *Key) (hostname, page string, ok bool) {
	if k[Hostname] != engMark {
		return "", "", false
	}
	return k[Source], k[Page], true
}

// applyEngagement counts an engagement report. Callers hold a.mu.
func (a *Aggregator) applyEngagement(h *Hit) {
	a.boundValues(h, Hostname, Page)
	hour := h.Time.UTC().Truncate(time.Hour)
	var delta Counters
	delta.Duration = h.Engaged
	depth := int64(max(h.ScrollDepth, 0))
	s := a.sessions[h.Visitor]
	if h.Visitor == 0 || s == nil || h.Time.Sub(s.last) >= VisitGap {
		delta.Visits, delta.Bounces = 1, depth
	} else {
		view := h.Key[Hostname] + "\x1f" + h.Key[Page]
		if s.engView != view || s.engPageviews != s.pageviews {
			// The first report of this page view.
			s.engView, s.engPageviews, s.engDepth = view, s.pageviews, depth
			delta.Visits, delta.Bounces = 1, depth
		} else if depth > s.engDepth {
			delta.Bounces = depth - s.engDepth
			s.engDepth = depth
		}
	}
	if delta.IsZero() {
		return
	}
	k := EngagementCellKey(h.Key[Hostname], h.Key[Page])
	a.bump(h.Site, hour, &k, &delta)
}

func isEngagementMetric(m Metric) bool { return m == ScrollDepth || m == TimeOnPage }

// usesEngagement reports whether q asks only for engagement metrics: it
// is then answered from the engagement cells alone.
func usesEngagement(q *Query) bool {
	if len(q.Metrics) == 0 {
		return false
	}
	for _, m := range q.Metrics {
		if !isEngagementMetric(m) {
			return false
		}
	}
	return true
}

// mixesEngagement reports whether q asks for engagement metrics beside
// others.
func mixesEngagement(q *Query) bool {
	return !usesEngagement(q) && slices.ContainsFunc(q.Metrics, isEngagementMetric)
}

// planEngagement plans a query of engagement cells: they are counted per
// hostname and page only.
func (p *Plan) planEngagement() error {
	p.eng, p.exact = true, true
	for _, d := range p.q.Dimensions {
		if d.Grain == NoTime && d.Dim != Page && d.Dim != Hostname {
			return fmt.Errorf("scroll_depth and time_on_page are counted per page: they combine with event:page, event:hostname and time only, not %s", d.Name)
		}
	}
	for _, f := range p.q.Filters {
		if f.Dim != Page && f.Dim != Hostname {
			return fmt.Errorf("scroll_depth and time_on_page are counted per page: they can be filtered by event:page and event:hostname only, not %s", f.Dim)
		}
	}
	return nil
}

// runEngagement answers a query that asks for engagement metrics beside
// others: the others as usual, then each row's engagement from the
// engagement cells of the same dimension values.
func (e *Engine) runEngagement(ctx context.Context, q Query) (Result, error) {
	var rest, eng []Metric
	for _, m := range q.Metrics {
		if isEngagementMetric(m) {
			eng = append(eng, m)
		} else {
			rest = append(rest, m)
		}
	}
	for _, o := range q.OrderBy {
		if isEngagementMetric(Metric(o.By)) {
			return Result{}, fmt.Errorf("%w: ordering by %s works when it is the query's only kind of metric", ErrInvalid, o.By)
		}
	}
	eq := q
	eq.Metrics, eq.OrderBy, eq.Limit, eq.Offset = eng, nil, 0, 0
	if _, err := Compile(&eq); err != nil {
		return Result{}, err
	}
	rq := q
	rq.Metrics = rest
	res, err := e.Run(ctx, rq)
	if err != nil {
		return Result{}, err
	}
	er, err := e.Run(ctx, eq)
	if err != nil {
		return Result{}, err
	}
	byDims := make(map[string][]Number, len(er.Rows))
	for _, r := range er.Rows {
		byDims[strings.Join(r.Dimensions, "\x00")] = r.Metrics
	}
	for i := range res.Rows {
		r := &res.Rows[i]
		got := byDims[strings.Join(r.Dimensions, "\x00")]
		out := make([]Number, 0, len(q.Metrics))
		ri, ei := 0, 0
		for _, m := range q.Metrics {
			if isEngagementMetric(m) {
				v := Number(0)
				if got != nil {
					v = got[ei]
				}
				out = append(out, v)
				ei++
			} else {
				out = append(out, r.Metrics[ri])
				ri++
			}
		}
		r.Metrics = out
	}
	return res, nil
}
