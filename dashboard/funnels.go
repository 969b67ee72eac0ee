package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/account"
	"tally/aggregate"
)

// FunnelRunner answers funnels; *aggregate.Engine is one. Funnels are
// signed-in only: a public view's runner has no such method, and a
// funnel's small steps would need the protections of public views.
type FunnelRunner interface {
	Funnel(ctx context.Context, site account.Site, from, to time.Time, f account.Funnel, goals []account.Goal) (aggregate.FunnelResult, error)
}

// FunnelPanel is the dashboard's Funnels panel: the site's funnels to pick
// from (fn=ID in the URL), and the chosen one's steps over the view's period.
type FunnelPanel struct {
	Choices []Link
	Name    string
	Since   string // the day the funnel was defined, in the site's zone
	Steps   []FunnelBar
	Note    string // the view's filters do not apply, when it has some
	JSON    string // the same answer as JSON
}

// FunnelBar is one step: its bar is its share of step 1's visits.
type FunnelBar struct {
	Step                    int
	Goal                    string
	Raw                     int64 // visits, unformatted
	Visits, DropOff         string
	DropOffRate, Conversion string
	Bar                     float64
}

// buildFunnelPanel returns the view's Funnels panel, nil for a site
// without funnels.
func (d *Dashboard) buildFunnelPanel(ctx context.Context, v *View) (*FunnelPanel, error) {
	fr, ok := d.cfg.Engine.(FunnelRunner)
	if !ok {
		return nil, nil
	}
	funnels, err := d.acc.Funnels(ctx, v.Site)
	if err != nil || len(funnels) == 0 {
		return nil, err
	}
	f := chosenFunnel(funnels, v.State.Funnel)
	goals, err := d.acc.Goals(ctx, v.Site)
	if err != nil {
		return nil, err
	}
	res, err := fr.Funnel(ctx, v.Site, v.From, v.To, f, goals)
	if err != nil {
		return nil, fmt.Errorf("funnel %q: %w", f.Name, err)
	}
	p := &FunnelPanel{Name: f.Name, Since: f.Created.In(v.Site.Location()).Format("2 Jan 2006"),
		JSON: v.State.withFunnel(f.ID).Link(v.Opts.BasePath + "/funnel.json")}
	for _, o := range funnels {
		p.Choices = append(p.Choices, Link{Label: o.Name, URL: v.State.withFunnel(o.ID).Link(v.Opts.BasePath) + "#funnels", Active: o.ID == f.ID})
	}
	if len(v.State.Filters) > 0 {
		p.Note = "A funnel counts every visit of the period: the filters above do not apply to it."
	}
	for i, s := range res.Steps {
		p.Steps = append(p.Steps, FunnelBar{Step: i + 1, Goal: s.Goal, Raw: s.Visits, Visits: formatCount(float64(s.Visits)),
			DropOff: formatCount(float64(s.DropOff)), DropOffRate: formatPercent(s.DropOffRate),
			Conversion: formatPercent(s.Conversion), Bar: s.Conversion})
	}
	return p, nil
}

// chosenFunnel is the funnel of funnels named by ref (an id), else the first.
func chosenFunnel(funnels []account.Funnel, ref string) account.Funnel {
	id, _ := strconv.ParseInt(ref, 10, 64)
	for _, f := range funnels {
		if f.ID == id {
			return f
		}
	}
	return funnels[0]
}

func formatPercent(p float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(p, 'f', 1, 64), ".0") + "%"
}

// funnelJSON is GET /:domain/funnel.json's answer.
type funnelJSON struct {
	Funnel struct {
		ID      int64  `json:"id"`
		Name    string `json:"name"`
		Created string `json:"created"` // RFC 3339, UTC: it counts visits from then on
	} `json:"funnel"`
	From  string                       `json:"from"`
	To    string                       `json:"to"`
	Steps []aggregate.FunnelStepResult `json:"steps"`
}

// FunnelJSON answers GET /:domain/funnel.json: a funnel (fn=ID; the
// site's first without) over the view's period (period, from, to as on
// the dashboard), for readers of the site.
func (d *Dashboard) FunnelJSON(c *fiber.Ctx) error {
	site, err := d.SiteFor(c.UserContext(), CurrentUser(c), c.Params("domain"))
	if err != nil {
		return err
	}
	fr, ok := d.cfg.Engine.(FunnelRunner)
	if !ok {
		return fiber.NewError(fiber.StatusNotFound, "funnels are not available here")
	}
	s := stateOf(c)
	from, to, err := periodRange(s, d.cfg.Now(), site)
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	funnels, err := d.acc.Funnels(c.UserContext(), site)
	if err != nil {
		return fmt.Errorf("funnels of %s: %w", site.Domain, err)
	}
	if len(funnels) == 0 {
		return fiber.NewError(fiber.StatusNotFound, "the site has no funnels")
	}
	f := chosenFunnel(funnels, s.Funnel)
	if s.Funnel != "" && strconv.FormatInt(f.ID, 10) != s.Funnel {
		return fiber.NewError(fiber.StatusNotFound, "no such funnel")
	}
	goals, err := d.acc.Goals(c.UserContext(), site)
	if err != nil {
		return fmt.Errorf("goals of %s: %w", site.Domain, err)
	}
	res, err := fr.Funnel(c.UserContext(), site, from, to, f, goals)
	if err != nil {
		return err
	}
	var out funnelJSON
	out.Funnel.ID, out.Funnel.Name, out.Funnel.Created = f.ID, f.Name, f.Created.UTC().Format(time.RFC3339)
	out.From, out.To, out.Steps = from.Format(time.DateOnly), to.Format(time.DateOnly), res.Steps
	return c.JSON(out)
}

// AddFunnel answers POST /:domain/funnels (site settings): name, and the
// steps as goal ids (step, repeated, in order; empty ones skipped), through
// the same rules as `tally funnel add`.
func (d *Dashboard) AddFunnel(c *fiber.Ctx) error {
	site, err := d.SiteToManage(c.UserContext(), CurrentUser(c), c.Params("domain"))
	if err != nil {
		return err
	}
	var steps []string
	args := c.Request().PostArgs()
	for _, b := range args.PeekMulti("step") {
		if s := strings.TrimSpace(string(b)); s != "" {
			steps = append(steps, s)
		}
	}
	_, err = d.acc.AddFunnel(c.UserContext(), site, c.FormValue("name"), steps)
	if msg, bad := invalidMessage(err); bad {
		return d.settings(c, site, fiber.StatusBadRequest, msg)
	}
	if errors.Is(err, account.ErrExists) {
		return d.settings(c, site, fiber.StatusConflict, "The site has a funnel of that name already.")
	}
	if err != nil {
		return fmt.Errorf("add funnel to %s: %w", site.Domain, err)
	}
	return c.Redirect("/"+url.PathEscape(site.Domain)+"/settings?saved=1#funnels", fiber.StatusSeeOther)
}

// DeleteFunnel answers POST /:domain/funnels/delete (id).
func (d *Dashboard) DeleteFunnel(c *fiber.Ctx) error {
	site, err := d.SiteToManage(c.UserContext(), CurrentUser(c), c.Params("domain"))
	if err != nil {
		return err
	}
	if _, err := d.acc.DeleteFunnel(c.UserContext(), site, c.FormValue("id")); err != nil {
		if errors.Is(err, account.ErrNotFound) {
			return fiber.NewError(fiber.StatusNotFound, "no such funnel")
		}
		return fmt.Errorf("delete funnel of %s: %w", site.Domain, err)
	}
	return c.Redirect("/"+url.PathEscape(site.Domain)+"/settings?saved=1#funnels", fiber.StatusSeeOther)
}

// funnelSettings is the settings page's Funnels section.
type funnelSettings struct {
	Base     string // the site's path, for the forms
	CSRF     string
	Funnels  []funnelRow
	Goals    []account.Goal
	Slots    []int // one step picker per possible step
	Min, Max int
}

type funnelRow struct {
	ID    int64
	Name  string
	Steps string
	Since string
}

func (d *Dashboard) funnelSettings(ctx context.Context, site account.Site, goals []account.Goal) (funnelSettings, error) {
	funnels, err := d.acc.Funnels(ctx, site)
	if err != nil {
		return funnelSettings{}, fmt.Errorf("funnels of %s: %w", site.Domain, err)
	}
	out := funnelSettings{Goals: goals, Min: account.MinFunnelSteps, Max: account.MaxFunnelSteps}
	for i := range account.MaxFunnelSteps {
		out.Slots = append(out.Slots, i+1)
	}
	for _, f := range funnels {
		var names []string
		for _, g := range account.FunnelGoals(f, goals) {
			names = append(names, g.Name())
		}
		out.Funnels = append(out.Funnels, funnelRow{ID: f.ID, Name: f.Name, Steps: strings.Join(names, " → "),
			Since: f.Created.In(site.Location()).Format("2 Jan 2006")})
	}
	return out, nil
}
