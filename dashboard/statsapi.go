// Package dashboard serves what site owners read: the JSON Stats API (in
// Plausible's v2 shape), and the server-rendered dashboard. Every number it
// shows comes from aggregate.Engine.
package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/account"
	"tally/aggregate"
)

// StatsAPI answers POST /api/v2/query and the GET endpoints of v1
// (statsv1.go).
type StatsAPI struct {
	store  aggregate.Store
	acc    *account.Service
	engine *aggregate.Engine
	now    func() time.Time
	// Realtime counts a site's visitors seen since a time (the
	// aggregator's session table) for the v1 realtime endpoint; nil
	// answers 0.
	Realtime func(site int64, since time.Time) int
}

// NewStatsAPI returns the Stats API handler set.
func NewStatsAPI(store aggregate.Store, engine *aggregate.Engine, now func() time.Time) *StatsAPI {
	return &StatsAPI{store: store, acc: account.NewService(store, now), engine: engine, now: now}
}

// apiRequest is Plausible's Stats API v2 query body.
type apiRequest struct {
	SiteID     string            `json:"site_id"`
	Metrics    []string          `json:"metrics"`
	DateRange  json.RawMessage   `json:"date_range"`
	Dimensions []string          `json:"dimensions"`
	Filters    []json.RawMessage `json:"filters"`
	OrderBy    [][2]string       `json:"order_by"`
	Pagination *struct {
		Limit  *int `json:"limit"`
		Offset int  `json:"offset"`
	} `json:"pagination"`
	Include map[string]any `json:"include"`
}

type apiRow struct {
	Metrics    []aggregate.Number `json:"metrics"`
	Dimensions []string           `json:"dimensions"`
	Comparison *apiComparison     `json:"comparison,omitempty"` // include.comparisons
}

type apiResponse struct {
	Results []apiRow       `json:"results"`
	Meta    map[string]any `json:"meta"`
	Query   map[string]any `json:"query"`
}

// badRequest is a 400 whose message names the offending field.
func badRequest(format string, args ...any) error {
	return fiber.NewError(fiber.StatusBadRequest, fmt.Sprintf(format, args...))
}

// Query is the POST /api/v2/query handler.
func (a *StatsAPI) Query(c *fiber.Ctx) error {
	key, err := a.authorize(c)
	if err != nil {
		return err
	}
	var req apiRequest
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var ue *json.UnmarshalTypeError
		switch {
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return badRequest("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
		case errors.As(err, &ue):
			return badRequest("field %q has the wrong type", ue.Field)
		}
		return badRequest("malformed JSON body")
	}
	q, echo, err := a.parse(c.UserContext(), key, &req)
	if err != nil {
		return err
	}
	q.CountRows = req.Include["total_rows"] == true
	res, err := a.engine.Run(c.UserContext(), q)
	if err != nil {
		return err
	}
	var cmp []*apiComparison
	if raw, ok := req.Include["comparisons"]; ok {
		if cmp, err = a.comparisons(c.UserContext(), q, res.Rows, raw); err != nil {
			return err
		}
	}
	out := apiResponse{Results: make([]apiRow, 0, len(res.Rows)), Meta: map[string]any{}, Query: echo}
	for i, r := range res.Rows {
		row := apiRow{Metrics: r.Metrics, Dimensions: r.Dimensions}
		if cmp != nil {
			row.Comparison = cmp[i]
		}
		out.Results = append(out.Results, row)
	}
	if req.Include["total_rows"] == true {
		out.Meta["total_rows"] = res.TotalRows
	}
	return c.JSON(out)
}

// authorize finds the request's API key. A revoked key is gone from the
// store, so it fails at once.
func (a *StatsAPI) authorize(c *fiber.Ctx) (account.APIKey, error) {
	auth := c.Get(fiber.HeaderAuthorization)
	key, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || strings.TrimSpace(key) == "" {
		return account.APIKey{}, fiber.NewError(fiber.StatusUnauthorized, "missing API key: send Authorization: Bearer KEY")
	}
	k, err := a.acc.UseKey(c.UserContext(), key)
	if errors.Is(err, account.ErrNotFound) {
		return k, fiber.NewError(fiber.StatusUnauthorized, "invalid API key")
	}
	return k, err
}

// site resolves site_id for a key: a 400 when it is missing, a 404 that
// names it when no such site exists — or when the key may not read it,
// which must look the same.
func (a *StatsAPI) site(ctx context.Context, key account.APIKey, id string) (account.Site, error) {
	if id == "" {
		return account.Site{}, badRequest("site_id is required")
	}
	unknown := fiber.NewError(fiber.StatusNotFound, "site_id: unknown site "+id)
	site, err := a.acc.Site(ctx, strings.ToLower(id))
	if errors.Is(err, account.ErrNotFound) {
		return site, unknown
	} else if err != nil {
		return site, err
	}
	if reads, err := a.acc.KeyReads(ctx, key, site); err != nil {
		return site, err
	} else if !reads {
		return site, unknown
	}
	return site, nil
}

// parse validates a request into a query and the echo of it that the
// response carries (with the date range resolved).
func (a *StatsAPI) parse(ctx context.Context, key account.APIKey, req *apiRequest) (aggregate.Query, map[string]any, error) {
	var q aggregate.Query
	site, err := a.site(ctx, key, req.SiteID)
	if err != nil {
		return q, nil, err
	}
	q.Site = site
	loc := site.Location()

	if len(req.Metrics) == 0 {
		return q, nil, badRequest("metrics: at least one metric is required")
	}
	for _, m := range req.Metrics {
		if !aggregate.Metric(m).Valid() {
			return q, nil, badRequest("metrics: unknown metric %q", m)
		}
		q.Metrics = append(q.Metrics, aggregate.Metric(m))
	}

	if q.From, q.To, err = parseDateRange(req.DateRange, a.now(), loc, site.Created); err != nil {
		return q, nil, badRequest("date_range: %v", err)
	}

	for _, name := range req.Dimensions {
		d, err := aggregate.ParseDimension(name, q.From, q.To)
		if err != nil {
			return q, nil, badRequest("dimensions: %v", err)
		}
		q.Dimensions = append(q.Dimensions, d)
	}
	for i, raw := range req.Filters {
		fs, err := parseFilter(raw, 0)
		if err != nil {
			return q, nil, badRequest("filters[%d]: %v", i, err)
		}
		q.Filters = append(q.Filters, fs...)
	}
	for i, o := range req.OrderBy {
		known := aggregate.Metric(o[0]).Valid()
		for _, d := range req.Dimensions {
			known = known || d == o[0]
		}
		if !known || (o[1] != "asc" && o[1] != "desc") {
			return q, nil, badRequest("order_by[%d]: want [metric or dimension of the query, \"asc\"|\"desc\"]", i)
		}
		q.OrderBy = append(q.OrderBy, aggregate.Order{By: o[0], Desc: o[1] == "desc"})
	}
	q.Limit = 10000
	if p := req.Pagination; p != nil {
		if p.Limit != nil {
			if *p.Limit < 1 || *p.Limit > 10000 {
				return q, nil, badRequest("pagination.limit: must be 1–10000")
			}
			q.Limit = *p.Limit
		}
		if p.Offset < 0 {
			return q, nil, badRequest("pagination.offset: must not be negative")
		}
		q.Offset = p.Offset
	}

	end := q.To.AddDate(0, 0, 1).Add(-time.Second)
	echo := map[string]any{
		"site_id":    site.Domain,
		"metrics":    req.Metrics,
		"date_range": []string{q.From.Format(time.RFC3339), end.Format(time.RFC3339)},
		"dimensions": nonNil(req.Dimensions),
		"filters":    nonNilRaw(req.Filters),
		"order_by":   orderEcho(req.OrderBy),
		"pagination": map[string]int{"limit": q.Limit, "offset": q.Offset},
	}
	return q, echo, nil
}

func orderEcho(o [][2]string) [][2]string {
	if o == nil {
		return [][2]string{}
	}
	return o
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilRaw(s []json.RawMessage) []json.RawMessage {
	if s == nil {
		return []json.RawMessage{}
	}
	return s
}

// parseDateRange reads a period name or a ["YYYY-MM-DD","YYYY-MM-DD"] pair.
func parseDateRange(raw json.RawMessage, now time.Time, loc *time.Location, since time.Time) (from, to time.Time, err error) {
	if len(raw) == 0 {
		return from, to, errors.New("required")
	}
	var name string
	if json.Unmarshal(raw, &name) == nil {
		return aggregate.Range(name, now, loc, since)
	}
	var pair []string
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return from, to, errors.New(`want a period name or ["YYYY-MM-DD","YYYY-MM-DD"]`)
	}
	return parseDays(pair[0], pair[1], loc)
}

// parseDays reads a custom range's first and last day, "YYYY-MM-DD" each.
func parseDays(first, last string, loc *time.Location) (from, to time.Time, err error) {
	if from, err = aggregate.ParseDay(first, loc); err != nil {
		return from, to, err
	}
	if to, err = aggregate.ParseDay(last, loc); err != nil {
		return from, to, err
	}
	if to.Before(from) {
		return from, to, errors.New("ends before it starts")
	}
	return from, to, nil
}

// maxFilterDepth bounds nested logical filters: each level is decoded again,
// so deep nesting would cost quadratic time for nothing ("and" is flat).
const maxFilterDepth = 4

// parseFilter reads ["op", "dimension", ["value", …]], ["and"|"or", [filter, …]]
// or ["not", filter], into filters joined by "and" (aggregate.AnyOf, Not).
func parseFilter(raw json.RawMessage, depth int) ([]aggregate.Filter, error) {
	if depth > maxFilterDepth {
		return nil, fmt.Errorf("filters nested deeper than %d levels", maxFilterDepth)
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil || len(parts) < 2 {
		return nil, errors.New(`want ["operator", "dimension", ["value", …]]`)
	}
	var op string
	if err := json.Unmarshal(parts[0], &op); err != nil {
		return nil, errors.New("operator must be a string")
	}
	switch op {
	case "and", "or":
		var subs []json.RawMessage
		if err := json.Unmarshal(parts[1], &subs); err != nil || len(parts) != 2 {
			return nil, fmt.Errorf(`want [%q, [filter, …]]`, op)
		}
		var out []aggregate.Filter
		for _, s := range subs {
			fs, err := parseFilter(s, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, fs...)
		}
		if op == "and" {
			return out, nil
		}
		if len(out) != len(subs) {
			return nil, errors.New(`"or" of "and" filters is not supported`)
		}
		f, err := aggregate.AnyOf(out)
		return []aggregate.Filter{f}, err
	case "not":
		if len(parts) != 2 {
			return nil, errors.New(`want ["not", filter]`)
		}
		fs, err := parseFilter(parts[1], depth+1)
		if err != nil {
			return nil, err
		}
		// not (a and b) is (not a) or (not b).
		for i := range fs {
			fs[i] = aggregate.Not(fs[i])
		}
		f, err := aggregate.AnyOf(fs)
		return []aggregate.Filter{f}, err
	}
	if len(parts) != 3 {
		return nil, errors.New(`want ["operator", "dimension", ["value", …]]`)
	}
	var dimName string
	var values []string
	if err := json.Unmarshal(parts[1], &dimName); err != nil {
		return nil, errors.New("dimension must be a string")
	}
	if err := json.Unmarshal(parts[2], &values); err != nil {
		return nil, errors.New("values must be a list of strings")
	}
	f, err := aggregate.NewNamedFilter(op, dimName, values)
	if err != nil {
		return nil, err
	}
	return []aggregate.Filter{f}, nil
}
