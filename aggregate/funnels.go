package aggregate

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"

	"tally/account"
)

// Funnels are counted at ingest, unlike goals: whether a visit did step 2
// after step 1 depends on the order of its hits, which nothing at rest
// keeps. The visit in progress (memory only, like everything that decides
// a counter) remembers, for each funnel of its site, how many steps it has
// completed in order; a hit that completes the next one adds 1 to the
// funnel's counter of that step. A funnel's step n therefore counts the
// visits that completed steps 1 … n in that order (other hits between
// them allowed), and a hit completes at most one step.
//
// Counts are filed under the hour the visit started, whatever hour the
// step happened in, so that in any range a step never counts more visits
// than the step before it.
//
// A funnel count travels as a cell whose Hostname field holds funnelMark
// (the funnel's id in Page, the step in Event), like property and
// engagement cells, so that the journal, spilling and exactly-once batches
// apply; the stores keep such cells in their own table (funnel_counts).
// Its counter is carried in Visits.
//
// The definitions reach the aggregator with each hit (Hit.Funnels), from
// the collector's site cache, as the site's time zone does: a funnel
// counts from the moment the cache learns of it (seconds after it is
// defined), never before.

const funnelMark = "\x00fun"

// FunnelCellKey returns the key of a funnel's cell of one step (1, 2, …).
func FunnelCellKey(funnel int64, step int) Key {
	var k Key
	k[Hostname] = funnelMark
	k[Page] = strconv.FormatInt(funnel, 10)
	k[Event] = strconv.Itoa(step)
	return k
}

// FunnelOf reports whether k is a funnel cell's key, and its funnel and step.
func FunnelOf(k *Key) (funnel int64, step int, ok bool) {
	if k[Hostname] != funnelMark {
		return 0, 0, false
	}
	funnel, err1 := strconv.ParseInt(k[Page], 10, 64)
	step, err2 := strconv.Atoi(k[Event])
	return funnel, step, err1 == nil && err2 == nil
}

// FunnelDef is a funnel as the aggregator counts it: its steps, compiled.
type FunnelDef struct {
	ID    int64
	Steps []FunnelStep
}

// FunnelStep is one step: a custom event by name, or a pageview of a page
// that matches a goal's pattern.
type FunnelStep struct {
	Event string
	Page  *regexp.Regexp
}

func (s *FunnelStep) done(pageview bool, event, page string) bool {
	if s.Page != nil {
		return pageview && s.Page.MatchString(page)
	}
	return !pageview && event == s.Event
}

// CompileFunnels compiles a site's funnels for the aggregator. A funnel
// one of whose goals is gone is left out (account refuses to delete a goal
// a funnel uses; this covers a store changed behind its back), and so are
// funnels past account.MaxFunnels.
func CompileFunnels(funnels []account.Funnel, goals []account.Goal) []FunnelDef {
	var out []FunnelDef
	for _, f := range funnels {
		steps := account.FunnelGoals(f, goals)
		if len(steps) != len(f.Steps) || len(steps) == 0 || len(out) == account.MaxFunnels {
			continue
		}
		def := FunnelDef{ID: f.ID}
		for _, g := range steps {
			if g.Event != "" {
				def.Steps = append(def.Steps, FunnelStep{Event: g.Event})
				continue
			}
			re, err := regexp.Compile(PagePattern(g.Page))
			if err != nil {
				def.Steps = nil
				break
			}
			def.Steps = append(def.Steps, FunnelStep{Page: re})
		}
		if def.Steps != nil {
			out = append(out, def)
		}
	}
	return out
}

// funnelProgress is how many steps of one funnel a visit has completed.
type funnelProgress struct {
	id   int64
	done int
}

// countFunnels advances visit s through h's funnels with the hit's own
// event and page (taken before any folding into Other, so a busy site's
// step pages are still recognised; nothing of them is stored here). The
// cells are bumped without the site's overflow bound: a site has at most
// account.MaxFunnels × account.MaxFunnelSteps of them an hour, all from
// definitions an admin made. Callers hold a.mu.
func (a *Aggregator) countFunnels(h *Hit, s *session, event, page string) {
	if s == nil || len(h.Funnels) == 0 {
		return
	}
	if len(s.funnels) > 2*account.MaxFunnels {
		s.funnels = keepFunnels(s.funnels, h.Funnels) // forget those deleted since
	}
	pv := event == PageviewEvent
	for i := range h.Funnels {
		f := &h.Funnels[i]
		j := 0
		for j < len(s.funnels) && s.funnels[j].id != f.ID {
			j++
		}
		if j == len(s.funnels) {
			s.funnels = append(s.funnels, funnelProgress{id: f.ID})
		}
		p := &s.funnels[j]
		if p.done >= len(f.Steps) || !f.Steps[p.done].done(pv, event, page) {
			continue
		}
		p.done++
		k := FunnelCellKey(f.ID, p.done)
		a.idBuf = appendCellID(a.idBuf[:0], s.site, s.startHour.Unix(), &k)
		a.addTo(a.cells[cellID(a.idBuf)], s.site, &Counters{Visits: 1})
	}
}

// keepFunnels returns the entries of progress whose funnel is among defs.
func keepFunnels(progress []funnelProgress, defs []FunnelDef) []funnelProgress {
	out := progress[:0]
	for _, p := range progress {
		for i := range defs {
			if defs[i].ID == p.id {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// FunnelCounter is what the engine needs of a store to answer funnels.
type FunnelCounter interface {
	// FunnelSteps sums a funnel's counts per step over the UTC hours
	// [from, to): one store-side query.
	FunnelSteps(ctx context.Context, site, funnel int64, from, to time.Time) (map[int]int64, error)
}

// FunnelResult is a funnel's answer over a range.
type FunnelResult struct {
	Steps []FunnelStepResult
}

// FunnelStepResult is one step: the visits that completed it (after the
// steps before), how many of the previous step's did not (DropOff, and in
// percent of them DropOffRate), and the share of step 1's visits that got
// here (Conversion, percent). Percentages have one decimal.
type FunnelStepResult struct {
	Goal        string  `json:"goal"`
	Visits      int64   `json:"visits"`
	DropOff     int64   `json:"drop_off"`
	DropOffRate float64 `json:"drop_off_rate"`
	Conversion  float64 `json:"conversion_rate"`
}

// Funnel answers funnel f of site over the days from … to (inclusive, in
// the site's zone); goals are the site's, to name the steps.
func (e *Engine) Funnel(ctx context.Context, site account.Site, from, to time.Time, f account.Funnel, goals []account.Goal) (FunnelResult, error) {
	fc, ok := e.store.(FunnelCounter)
	if !ok {
		return FunnelResult{}, fmt.Errorf("%w: this store keeps no funnels", ErrInvalid)
	}
	start, end, err := dayHours(site, from, to)
	if err != nil {
		return FunnelResult{}, err
	}
	if e.agg != nil {
		if err := e.agg.Flush(ctx); err != nil {
			return FunnelResult{}, fmt.Errorf("funnel of %s: store what is counted: %w", site.Domain, err)
		}
	}
	counts, err := fc.FunnelSteps(ctx, site.ID, f.ID, start, end)
	if err != nil {
		return FunnelResult{}, fmt.Errorf("funnel of %s: %w", site.Domain, err)
	}
	names := map[int64]string{}
	for _, g := range goals {
		names[g.ID] = g.Name()
	}
	pct := func(n, of int64) float64 {
		if of <= 0 {
			return 0
		}
		return math.Round(1000*float64(n)/float64(of)) / 10
	}
	var res FunnelResult
	for i, id := range f.Steps {
		st := FunnelStepResult{Goal: names[id], Visits: counts[i+1]}
		if i == 0 {
			st.Conversion = pct(st.Visits, st.Visits)
		} else {
			prev := res.Steps[i-1].Visits
			st.DropOff = prev - st.Visits
			st.DropOffRate = pct(st.DropOff, prev)
			st.Conversion = pct(st.Visits, res.Steps[0].Visits)
		}
		res.Steps = append(res.Steps, st)
	}
	return res, nil
}

// dayHours turns days from … to (inclusive) in site's zone into the UTC
// hours that hold them, [start, end): cells are UTC hours, and a zone with
// a half-hour offset gets the whole hours that start inside its days.
func dayHours(site account.Site, from, to time.Time) (start, end time.Time, err error) {
	loc := site.Location()
	s := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
	e := time.Date(to.Year(), to.Month(), to.Day()+1, 0, 0, 0, 0, loc)
	if !e.After(s) {
		return s, e, fmt.Errorf("%w: date range ends before it starts", ErrInvalid)
	}
	return s.UTC().Add(time.Hour - 1).Truncate(time.Hour), e.UTC().Add(time.Hour - 1).Truncate(time.Hour), nil
}
