package account

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Funnel is an ordered list of a site's goals (2 to 8 steps) whose visits
// tally counts step by step: how many visits completed step 1, then step 2
// after it, and so on. Unlike a goal, a funnel is counted at ingest (from
// the visit in progress, in memory), because the order of a visit's hits
// is not kept at rest: a funnel therefore counts visits from the moment
// it is defined, never before.
type Funnel struct {
	ID, Site int64
	Name     string
	Steps    []int64 // goal ids, in order
	Created  time.Time
}

// Bounds on funnels.
const (
	MinFunnelSteps = 2
	MaxFunnelSteps = 8
	MaxFunnels     = 20 // per site
	maxFunnelName  = 80
)

// FunnelGoals returns f's steps as goals of goals (a site's), in order; a
// step whose goal is not among them (deleted meanwhile by a store that
// did not check) is left out.
func FunnelGoals(f Funnel, goals []Goal) []Goal {
	out := make([]Goal, 0, len(f.Steps))
	for _, id := range f.Steps {
		for _, g := range goals {
			if g.ID == id {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

// findGoal returns the goal named by ref: its id, or its name.
func findGoal(goals []Goal, ref string) (Goal, bool) {
	ref = strings.TrimSpace(ref)
	id, _ := strconv.ParseInt(ref, 10, 64)
	for _, g := range goals {
		if g.ID == id || g.Name() == ref {
			return g, true
		}
	}
	return Goal{}, false
}

// AddFunnel adds a funnel to site: name, and its steps as goals named by
// id or name (as `tally goal delete` takes them). The same goal may come
// back later in a funnel but not twice in a row: one hit completes one
// step, so "Signup, Signup" would ask for two signups in one visit, which
// is more likely a mistake than a question. ErrExists if the site has a
// funnel of that name.
func (s *Service) AddFunnel(ctx context.Context, site Site, name string, steps []string) (Funnel, error) {
	f := Funnel{Name: strings.TrimSpace(name)}
	switch {
	case f.Name == "":
		return f, invalid("name", "give the funnel a name")
	case len(f.Name) > maxFunnelName:
		return f, invalid("name", fmt.Sprintf("a funnel's name is at most %d bytes", maxFunnelName))
	case !utf8.ValidString(f.Name) || strings.ContainsFunc(f.Name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return f, invalid("name", "control characters are not allowed")
	case len(steps) < MinFunnelSteps || len(steps) > MaxFunnelSteps:
		return f, invalid("steps", fmt.Sprintf("a funnel has %d to %d steps, not %d", MinFunnelSteps, MaxFunnelSteps, len(steps)))
	}
	goals, err := s.st.Goals(ctx, site.ID)
	if err != nil {
		return f, err
	}
	for i, ref := range steps {
		g, ok := findGoal(goals, ref)
		if !ok {
			return f, invalid("steps", fmt.Sprintf("step %d: the site has no goal %q", i+1, ref))
		}
		if i > 0 && f.Steps[i-1] == g.ID {
			return f, invalid("steps", fmt.Sprintf("steps %d and %d are the same goal (%s)", i, i+1, g.Name()))
		}
		f.Steps = append(f.Steps, g.ID)
	}
	funnels, err := s.st.Funnels(ctx, site.ID)
	if err != nil {
		return f, err
	}
	if len(funnels) >= MaxFunnels {
		return f, invalid("funnel", fmt.Sprintf("a site has at most %d funnels", MaxFunnels))
	}
	for _, o := range funnels {
		if o.Name == f.Name {
			return f, fmt.Errorf("funnel %q: %w", f.Name, ErrExists)
		}
	}
	f.Site, f.Created = site.ID, s.now().UTC().Truncate(time.Second)
	return s.st.AddFunnel(ctx, f)
}

// Funnels lists site's funnels, oldest first.
func (s *Service) Funnels(ctx context.Context, site Site) ([]Funnel, error) {
	return s.st.Funnels(ctx, site.ID)
}

// Funnel returns site's funnel named by ref (its id or its name);
// ErrNotFound if there is none.
func (s *Service) Funnel(ctx context.Context, site Site, ref string) (Funnel, error) {
	funnels, err := s.st.Funnels(ctx, site.ID)
	if err != nil {
		return Funnel{}, err
	}
	ref = strings.TrimSpace(ref)
	id, _ := strconv.ParseInt(ref, 10, 64)
	for _, f := range funnels {
		if f.ID == id || f.Name == ref {
			return f, nil
		}
	}
	return Funnel{}, fmt.Errorf("funnel %q: %w", ref, ErrNotFound)
}

// DeleteFunnel deletes site's funnel named by ref (its id or its name).
// Its counts stay in the store, under an id no new funnel takes.
func (s *Service) DeleteFunnel(ctx context.Context, site Site, ref string) (Funnel, error) {
	f, err := s.Funnel(ctx, site, ref)
	if err != nil {
		return f, err
	}
	return f, s.st.DeleteFunnel(ctx, site.ID, f.ID)
}

// goalInUse refuses to delete goal g while a funnel of site uses it: the
// funnel's steps would lose their meaning.
func (s *Service) goalInUse(ctx context.Context, site Site, g Goal) error {
	funnels, err := s.st.Funnels(ctx, site.ID)
	if err != nil {
		return err
	}
	for _, f := range funnels {
		for _, id := range f.Steps {
			if id == g.ID {
				return fmt.Errorf("goal %q is a step of funnel %q, delete the funnel first: %w", g.Name(), f.Name, ErrForbidden)
			}
		}
	}
	return nil
}
