package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"tally/account"
	"tally/dashboard/public"
)

func siteCommands() []sub {
	var tz *string
	var countDNT *bool
	var pol *public.Policy
	var role *string
	return []sub{
		{name: "add", args: "DOMAIN [--timezone Area/City] [--count-dnt]", help: "add a site (a host name: example.com; internationalised names are stored as punycode)", nargs: 1,
			flags: func(fs *flag.FlagSet) {
				tz = fs.String("timezone", "UTC", "IANA time zone the site's days are counted in")
				countDNT = fs.Bool("count-dnt", false, "count Do-Not-Track/GPC hits as anonymous pageviews instead of dropping them")
			},
			run: func(ctx context.Context, e env, pos []string) error {
				site, err := e.acc.AddSite(ctx, pos[0], *tz, *countDNT, 0)
				if err != nil {
					return fmt.Errorf("site add: %w", err)
				}
				fmt.Fprintf(e.stdout, "added %s (time zone %s)\n", site.Domain, site.Timezone)
				fmt.Fprintf(e.stdout, "add this to every page:\n<script defer data-domain=%q src=\"https://YOUR-TALLY-HOST/js/script.js\"></script>\n", site.Domain)
				return nil
			}},
		{name: "list", help: "list sites: domain, time zone, DNT policy, created", nargs: 0,
			run: func(ctx context.Context, e env, _ []string) error {
				sites, err := e.st.Sites(ctx)
				if err != nil {
					return fmt.Errorf("site list: %w", err)
				}
				for _, s := range sites {
					policy := "drop"
					if s.CountDNT {
						policy = "count-anonymously"
					}
					fmt.Fprintf(e.stdout, "%s\t%s\tdnt=%s\tsince %s\n", s.Domain, s.Timezone, policy, s.Created.Format(time.DateOnly))
				}
				return nil
			}},
		{name: "delete", args: "DOMAIN", help: "delete a site and every aggregate of it", nargs: 1,
			run: func(ctx context.Context, e env, pos []string) error {
				site, err := e.acc.Site(ctx, pos[0])
				if err != nil {
					return fmt.Errorf("site delete %s: %w", pos[0], err)
				}
				if err := e.st.DeleteSite(ctx, site.ID); err != nil {
					return fmt.Errorf("site delete %s: %w", site.Domain, err)
				}
				fmt.Fprintf(e.stdout, "deleted %s and all its aggregates\n", site.Domain)
				return nil
			}},
		{name: "grant", args: "DOMAIN EMAIL --role viewer|owner", help: "give a user a role on a site (viewer: reads; owner: also settings, sharing, members, deletion)", nargs: 2,
			flags: func(fs *flag.FlagSet) { role = fs.String("role", "viewer", "viewer or owner") },
			run: func(ctx context.Context, e env, pos []string) error {
				r, err := account.ParseRole(*role)
				if err != nil {
					return fmt.Errorf("site grant: %w", err)
				}
				site, err := e.acc.Site(ctx, pos[0])
				if err != nil {
					return fmt.Errorf("site grant %s: %w", pos[0], err)
				}
				u, err := e.acc.Grant(ctx, site, pos[1], r)
				if err != nil {
					return fmt.Errorf("site grant: %w", err)
				}
				fmt.Fprintf(e.stdout, "%s is now %s of %s\n", u.Email, r, site.Domain)
				return nil
			}},
		{name: "revoke", args: "DOMAIN EMAIL", help: "take a user's role on a site away", nargs: 2,
			run: func(ctx context.Context, e env, pos []string) error {
				site, err := e.acc.Site(ctx, pos[0])
				if err != nil {
					return fmt.Errorf("site revoke %s: %w", pos[0], err)
				}
				u, err := e.acc.Revoke(ctx, site, pos[1])
				if err != nil {
					return fmt.Errorf("site revoke: %w", err)
				}
				fmt.Fprintf(e.stdout, "%s no longer has a role on %s\n", u.Email, site.Domain)
				return nil
			}},
		{name: "publish", args: "DOMAIN [--min-visitors K] [--round N] [--epsilon E]", help: "publish a site's protected public dashboard; prints its path last", nargs: 1,
			flags: func(fs *flag.FlagSet) { pol = policyFlags(fs) },
			run: func(ctx context.Context, e env, pos []string) error {
				return sitePublish(ctx, e.st, pos, *pol, e.stdout)
			}},
		{name: "unpublish", args: "DOMAIN", help: "stop publishing a site", nargs: 1,
			run: func(ctx context.Context, e env, pos []string) error {
				return siteUnpublish(ctx, e.st, pos, e.stdout)
			}},
	}
}
