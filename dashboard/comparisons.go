package dashboard

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"tally/aggregate"
)

// The v2 query's include.comparisons ({"mode": "previous_period"} or
// "year_over_year"): each result row also carries its figures in the
// compared period and the change, as Plausible's does. The compared query
// is the same question over the other range, held to the rows at hand.

// apiComparison is one row's figures in the compared period.
type apiComparison struct {
	Dimensions []string           `json:"dimensions"`
	Metrics    []aggregate.Number `json:"metrics"`
	Change     []aggregate.Number `json:"change"`
}

// comparisons answers include.comparisons for q's rows; nil when raw asks
// for none.
func (a *StatsAPI) comparisons(ctx context.Context, q aggregate.Query, rows []aggregate.Row, raw any) ([]*apiComparison, error) {
	opts, ok := raw.(map[string]any)
	mode, _ := opts["mode"].(string)
	if !ok || mode == "" {
		return nil, badRequest(`include.comparisons: want {"mode": "previous_period"} or "year_over_year"`)
	}
	pq := q
	var on bool
	var err error
	if pq.From, pq.To, on, err = aggregate.Compared(mode, q.From, q.To); err != nil {
		return nil, badRequest("include.comparisons.mode: %v", err)
	} else if !on {
		return nil, nil
	}
	if slices.Contains(q.Metrics, aggregate.Percentage) {
		return nil, badRequest("include.comparisons: not supported with the percentage metric")
	}
	pq.Limit, pq.Offset, pq.OrderBy = 0, 0, nil
	pq.Filters = slices.Clone(q.Filters)
	for i, d := range q.Dimensions {
		if d.Grain != aggregate.NoTime {
			return nil, badRequest("include.comparisons: not supported with time dimensions (%s)", d.Name)
		}
		if len(rows) == 0 {
			break
		}
		if len(rows) > aggregate.MaxFilterValues {
			return nil, badRequest("include.comparisons: at most %d rows a page (pagination.limit)", aggregate.MaxFilterValues)
		}
		var values []string
		for _, r := range rows {
			if !slices.Contains(values, r.Dimensions[i]) {
				values = append(values, r.Dimensions[i])
			}
		}
		f, err := aggregate.NewNamedFilter(aggregate.OpIs, d.Name, values)
		if err != nil {
			return nil, fmt.Errorf("compare rows of %s: %w", d.Name, err)
		}
		pq.Filters = append(pq.Filters, f)
	}
	prev, err := a.engine.Run(ctx, pq)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string][]aggregate.Number, len(prev.Rows))
	for _, r := range prev.Rows {
		byKey[strings.Join(r.Dimensions, "\x00")] = r.Metrics
	}
	out := make([]*apiComparison, len(rows))
	for i, r := range rows {
		c := &apiComparison{Dimensions: r.Dimensions, Metrics: make([]aggregate.Number, len(q.Metrics)), Change: make([]aggregate.Number, len(q.Metrics))}
		if ms, ok := byKey[strings.Join(r.Dimensions, "\x00")]; ok {
			copy(c.Metrics, ms)
		}
		for j, m := range q.Metrics {
			c.Change[j] = metricChange(m, float64(r.Metrics[j]), float64(c.Metrics[j]))
		}
		out[i] = c
	}
	return out, nil
}
