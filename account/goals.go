package account

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Goal is something a site counts as a conversion: a custom event (by its
// name) or a visit to pages (a path pattern where * matches within one
// path segment and ** across segments). A goal is a question asked of the
// stored counters, not a tag added at ingest: adding one shows its history.
type Goal struct {
	ID, Site int64
	Event    string // a custom event's name; "" for a pageview goal
	Page     string // a path pattern; "" for an event goal
	Created  time.Time
}

// Name is the goal's name in the Stats API and the dashboard, as Plausible
// names goals: the event's name, or "Visit " and the pattern.
func (g Goal) Name() string {
	if g.Event != "" {
		return g.Event
	}
	return "Visit " + g.Page
}

// Bounds on a goal (an event name is bounded as the collector bounds it).
const (
	maxGoalEvent = 120
	maxGoalPage  = 300
	MaxGoals     = 100 // per site
)

// checkGoal applies the rules to a goal's definition.
func checkGoal(g Goal) (Goal, error) {
	g.Event, g.Page = strings.TrimSpace(g.Event), strings.TrimSpace(g.Page)
	switch {
	case (g.Event == "") == (g.Page == ""):
		return g, invalid("goal", "give either an event name or a page pattern")
	case g.Event == "pageview":
		return g, invalid("event", `"pageview" is not a custom event: give a page pattern instead`)
	case len(g.Event) > maxGoalEvent || len(g.Page) > maxGoalPage:
		return g, invalid("goal", fmt.Sprintf("event names are at most %d bytes, page patterns %d", maxGoalEvent, maxGoalPage))
	case g.Page != "" && !strings.HasPrefix(g.Page, "/"):
		return g, invalid("page", "a page pattern starts with /")
	case !utf8.ValidString(g.Event+g.Page) || strings.ContainsFunc(g.Event+g.Page, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return g, invalid("goal", "control characters are not allowed")
	case strings.Contains(g.Page, "***"):
		return g, invalid("page", "use * (within a segment) or ** (across segments)")
	}
	return g, nil
}

// AddGoal adds a goal to site; ErrExists if the site has a goal of that name.
func (s *Service) AddGoal(ctx context.Context, site Site, g Goal) (Goal, error) {
	g, err := checkGoal(g)
	if err != nil {
		return g, err
	}
	goals, err := s.st.Goals(ctx, site.ID)
	if err != nil {
		return g, err
	}
	if len(goals) >= MaxGoals {
		return g, invalid("goal", fmt.Sprintf("a site has at most %d goals", MaxGoals))
	}
	for _, o := range goals {
		if o.Name() == g.Name() {
			return g, fmt.Errorf("goal %q: %w", g.Name(), ErrExists)
		}
	}
	g.Site, g.Created = site.ID, s.now().UTC().Truncate(time.Second)
	return s.st.AddGoal(ctx, g)
}

// Goals lists site's goals, oldest first.
func (s *Service) Goals(ctx context.Context, site Site) ([]Goal, error) {
	return s.st.Goals(ctx, site.ID)
}

// DeleteGoal deletes the goal of site named by ref: its id, or its name
// ("Signup", "Visit /docs/**"); ErrNotFound if there is none.
func (s *Service) DeleteGoal(ctx context.Context, site Site, ref string) (Goal, error) {
	goals, err := s.st.Goals(ctx, site.ID)
	if err != nil {
		return Goal{}, err
	}
	g, ok := findGoal(goals, ref)
	if !ok {
		return Goal{}, fmt.Errorf("goal %q: %w", ref, ErrNotFound)
	}
	if err := s.goalInUse(ctx, site, g); err != nil {
		return g, err
	}
	return g, s.st.DeleteGoal(ctx, site.ID, g.ID)
}
