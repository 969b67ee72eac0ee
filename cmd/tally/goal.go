package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"tally/account"
)

// goalCommands manage a site's goals through the same rules as the site
// settings page (account.Service).
func goalCommands() []sub {
	var event, page *string
	return []sub{
		{name: "add", args: "DOMAIN --event NAME | --page PATTERN", nargs: 1,
			help: "add a goal: a custom event by name, or visits to pages (* matches within a path segment, ** across segments); it counts history too",
			flags: func(fs *flag.FlagSet) {
				event = fs.String("event", "", "the custom event's name (e.g. Signup)")
				page = fs.String("page", "", "a page path pattern (e.g. /docs/** or /blog/*)")
			},
			run: func(ctx context.Context, e env, pos []string) error {
				site, err := e.acc.Site(ctx, pos[0])
				if err != nil {
					return fmt.Errorf("goal add %s: %w", pos[0], err)
				}
				g, err := e.acc.AddGoal(ctx, site, account.Goal{Event: *event, Page: *page})
				if err != nil {
					return fmt.Errorf("goal add: %w", err)
				}
				fmt.Fprintf(e.stdout, "added goal %q to %s (id %d)\n", g.Name(), site.Domain, g.ID)
				return nil
			}},
		{name: "list", args: "DOMAIN", help: "list a site's goals: id, name, created", nargs: 1,
			run: func(ctx context.Context, e env, pos []string) error {
				site, err := e.acc.Site(ctx, pos[0])
				if err != nil {
					return fmt.Errorf("goal list %s: %w", pos[0], err)
				}
				goals, err := e.acc.Goals(ctx, site)
				if err != nil {
					return fmt.Errorf("goal list: %w", err)
				}
				for _, g := range goals {
					fmt.Fprintf(e.stdout, "%d\t%s\tsince %s\n", g.ID, g.Name(), g.Created.Format(time.DateOnly))
				}
				return nil
			}},
		{name: "delete", args: "DOMAIN GOAL", help: "delete a goal, named by its id or its name (Signup, \"Visit /docs/**\"); the counts stay", nargs: 2,
			run: func(ctx context.Context, e env, pos []string) error {
				site, err := e.acc.Site(ctx, pos[0])
				if err != nil {
					return fmt.Errorf("goal delete %s: %w", pos[0], err)
				}
				g, err := e.acc.DeleteGoal(ctx, site, pos[1])
				if err != nil {
					return fmt.Errorf("goal delete: %w", err)
				}
				fmt.Fprintf(e.stdout, "deleted goal %q of %s\n", g.Name(), site.Domain)
				return nil
			}},
	}
}
