package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"tally/account"
	"tally/aggregate"
	"tally/collector"
	"tally/dashboard"
	"tally/dashboard/public"
)

// admin parses an admin command's flags (the store settings plus extra) and
// opens the store.
func admin(ctx context.Context, name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (aggregate.Store, []string, error) {
	fs := newFlagSet(name, stderr)
	cfgFn := flags(fs, false)
	if extra != nil {
		extra(fs)
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := cfgFn()
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(ctx, cfg)
	return st, pos, err
}

func runSite(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: tally site add DOMAIN [--timezone Area/City] [--count-dnt] | list | delete DOMAIN")
	}
	sub, args := args[0], args[1:]
	var tz *string
	var countDNT *bool
	var pol *public.Policy
	st, pos, err := admin(ctx, "site "+sub, args, stderr, func(fs *flag.FlagSet) {
		if sub == "add" {
			tz = fs.String("timezone", "UTC", "IANA time zone the site's days are counted in")
			countDNT = fs.Bool("count-dnt", false, "count Do-Not-Track/GPC hits as anonymous pageviews instead of dropping them")
		}
		if sub == "publish" {
			pol = policyFlags(fs)
		}
	})
	if err != nil {
		return err
	}
	defer st.Close()

	switch sub {
	case "add":
		if len(pos) != 1 {
			return errors.New("usage: tally site add DOMAIN [--timezone Area/City] [--count-dnt]")
		}
		domain := collector.NormalizeDomain(pos[0])
		if domain == "" {
			return errors.New("site add: empty domain")
		}
		if _, err := time.LoadLocation(*tz); err != nil {
			return fmt.Errorf("site add: unknown time zone %q", *tz)
		}
		site, err := st.AddSite(ctx, account.Site{Domain: domain, Timezone: *tz, CountDNT: *countDNT})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added %s (time zone %s)\n", site.Domain, site.Timezone)
		fmt.Fprintf(stdout, "add this to every page:\n<script defer data-domain=%q src=\"https://YOUR-TALLY-HOST/js/script.js\"></script>\n", site.Domain)
	case "list":
		sites, err := st.Sites(ctx)
		if err != nil {
			return err
		}
		for _, s := range sites {
			policy := "drop"
			if s.CountDNT {
				policy = "count-anonymously"
			}
			fmt.Fprintf(stdout, "%s\t%s\tdnt=%s\tsince %s\n", s.Domain, s.Timezone, policy, s.Created.Format(time.DateOnly))
		}
	case "delete":
		if len(pos) != 1 {
			return errors.New("usage: tally site delete DOMAIN")
		}
		site, err := st.Site(ctx, collector.NormalizeDomain(pos[0]))
		if err != nil {
			return err
		}
		if err := st.DeleteSite(ctx, site.ID); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "deleted %s and all its aggregates\n", site.Domain)
	case "publish":
		return sitePublish(ctx, st, pos, *pol, stdout)
	case "unpublish":
		return siteUnpublish(ctx, st, pos, stdout)
	default:
		return fmt.Errorf("unknown site command %q (add, list, delete, publish, unpublish)", sub)
	}
	return nil
}

func runAPIKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: tally apikey create [--name NAME]")
	}
	var name *string
	st, _, err := admin(ctx, "apikey create", args[1:], stderr, func(fs *flag.FlagSet) {
		name = fs.String("name", "default", "a label for the key")
	})
	if err != nil {
		return err
	}
	defer st.Close()
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	key := base64.RawURLEncoding.EncodeToString(raw)
	if _, err := st.AddAPIKey(ctx, account.APIKey{Name: *name, Hash: dashboard.HashAPIKey(key)}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created API key %q; it is shown only now, store it safely:\n%s\n", *name, key)
	return nil
}
