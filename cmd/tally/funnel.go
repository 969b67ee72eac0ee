package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"tally/account"
)

// stepFlags collects repeated --step flags, in order.
type stepFlags []string

func (s *stepFlags) String() string     { return strings.Join(*s, ", ") }
func (s *stepFlags) Set(v string) error { *s = append(*s, v); return nil }

// funnelCommands manage a site's funnels through the same rules as the
// site settings page (account.Service).
func funnelCommands() []sub {
	var steps stepFlags
	return []sub{
		{name: "add", args: "DOMAIN NAME --step GOAL --step GOAL …", nargs: 2,
			help: fmt.Sprintf("add a funnel of %d to %d steps, each a goal of the site by id or name (Signup, \"Visit /pricing\"); it counts visits from now on, not history",
				account.MinFunnelSteps, account.MaxFunnelSteps),
			flags: func(fs *flag.FlagSet) {
				steps = nil
				fs.Var(&steps, "step", "a step's goal, by id or name; repeat in order")
			},
			run: func(ctx context.Context, e env, pos []string) error {
				site, err := e.acc.Site(ctx, pos[0])
				if err != nil {
					return fmt.Errorf("funnel add %s: %w", pos[0], err)
				}
				f, err := e.acc.AddFunnel(ctx, site, pos[1], steps)
				if err != nil {
					return fmt.Errorf("funnel add: %w", err)
				}
				fmt.Fprintf(e.stdout, "added funnel %q of %d steps to %s (id %d); it counts visits from now on\n", f.Name, len(f.Steps), site.Domain, f.ID)
				return nil
			}},
		{name: "list", args: "DOMAIN", help: "list a site's funnels: id, name, steps, since", nargs: 1,
			run: func(ctx context.Context, e env, pos []string) error {
				site, err := e.acc.Site(ctx, pos[0])
				if err != nil {
					return fmt.Errorf("funnel list %s: %w", pos[0], err)
				}
				funnels, err := e.acc.Funnels(ctx, site)
				if err != nil {
					return fmt.Errorf("funnel list: %w", err)
				}
				goals, err := e.acc.Goals(ctx, site)
				if err != nil {
					return fmt.Errorf("funnel list: %w", err)
				}
				for _, f := range funnels {
					var names []string
					for _, g := range account.FunnelGoals(f, goals) {
						names = append(names, g.Name())
					}
					fmt.Fprintf(e.stdout, "%d\t%s\t%s\tsince %s\n", f.ID, f.Name, strings.Join(names, " → "), f.Created.Format(time.DateOnly))
				}
				return nil
			}},
		{name: "delete", args: "DOMAIN FUNNEL", help: "delete a funnel, named by its id or its name; its goals stay", nargs: 2,
			run: func(ctx context.Context, e env, pos []string) error {
				site, err := e.acc.Site(ctx, pos[0])
				if err != nil {
					return fmt.Errorf("funnel delete %s: %w", pos[0], err)
				}
				f, err := e.acc.DeleteFunnel(ctx, site, pos[1])
				if err != nil {
					return fmt.Errorf("funnel delete: %w", err)
				}
				fmt.Fprintf(e.stdout, "deleted funnel %q of %s\n", f.Name, site.Domain)
				return nil
			}},
	}
}
