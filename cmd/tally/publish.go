package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"tally/account"
	"tally/aggregate"
	"tally/dashboard/public"
)

// sitePublish turns publishing on (or changes its parameters, keeping the
// slug so links stay valid) and prints the share path on the last line.
// The dashboard's settings page publishes through the same public.Publish.
func sitePublish(ctx context.Context, st aggregate.Store, pos []string, pol public.Policy, stdout io.Writer) error {
	if len(pos) != 1 {
		return errors.New("usage: tally site publish DOMAIN [--min-visitors K] [--round N] [--epsilon E]")
	}
	if err := pol.Validate(); err != nil {
		return fmt.Errorf("site publish: %w", err)
	}
	site, err := st.Site(ctx, account.LookupDomain(pos[0]))
	if err != nil {
		return fmt.Errorf("site publish %s: %w", pos[0], err)
	}
	sh, err := public.Publish(ctx, st, site, pol)
	if err != nil {
		return err
	}
	noise := "no noise"
	if pol.Epsilon > 0 {
		noise = fmt.Sprintf("noise ε=%g", pol.Epsilon)
	}
	fmt.Fprintf(stdout, "published %s: groups of at least %d visitors, counts rounded to %d, %s\n", site.Domain, pol.MinVisitors, pol.Round, noise)
	fmt.Fprintln(stdout, public.SharePath(sh))
	return nil
}

func siteUnpublish(ctx context.Context, st aggregate.Store, pos []string, stdout io.Writer) error {
	if len(pos) != 1 {
		return errors.New("usage: tally site unpublish DOMAIN")
	}
	site, err := st.Site(ctx, account.LookupDomain(pos[0]))
	if err != nil {
		return fmt.Errorf("site unpublish %s: %w", pos[0], err)
	}
	if err := public.Unpublish(ctx, st, site); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "unpublished %s: its share path now answers 404\n", site.Domain)
	return nil
}

// policyFlags registers --min-visitors, --round and --epsilon.
func policyFlags(fs *flag.FlagSet) *public.Policy {
	p := public.DefaultPolicy
	fs.IntVar(&p.MinVisitors, "min-visitors", p.MinVisitors, fmt.Sprintf("K: smaller groups fold into \"(other)\" (at least %d)", public.MinMinVisitors))
	fs.IntVar(&p.Round, "round", p.Round, "N: published counts are rounded to a multiple of N")
	fs.Float64Var(&p.Epsilon, "epsilon", p.Epsilon, "ε of two-sided geometric noise per count; 0: no noise")
	return &p
}

// runReport writes a report of a closed period to a file, through the
// same protection layer as /share. For a published site without parameter
// flags it is the report /share serves, byte for byte (stored the first
// time either asks); otherwise it is built with the flags' parameters.
func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var domain, period, format, out *string
	var pol *public.Policy
	st, pos, err := admin(ctx, "report", args, stderr, func(fs *flag.FlagSet) {
		domain = fs.String("site", "", "the site's domain")
		period = fs.String("period", "", "a closed day 2026-10-05, week 2026-W41, month 2026-10, quarter 2026-Q4 or year 2026")
		format = fs.String("format", "html", "html, json or csv")
		out = fs.String("out", "-", "file to write; - for stdout")
		pol = policyFlags(fs)
	})
	if err != nil {
		return err
	}
	defer st.Close()
	if len(pos) != 0 || *domain == "" || *period == "" {
		return errors.New("usage: tally report --site DOMAIN --period 2026-10|2026-Q4|2026 --format html|json|csv --out FILE")
	}
	site, err := st.Site(ctx, account.LookupDomain(*domain))
	if err != nil {
		return fmt.Errorf("report %s: %w", *domain, err)
	}
	per, err := public.ParsePeriod(*period, site.Location())
	if err != nil {
		return err
	}
	// No aggregator: the report reads what is stored, which for a closed
	// period is all there is. The noise is keyed by the site's stored key.
	b := public.NewBuilder(aggregate.NewEngine(st, nil), st)
	// The same credits as `tally serve` shows, so that a report stored by
	// either is the same: --geoip is serve's setting, read from the
	// environment it would come from.
	b.Credits = geoCredits(os.Getenv("TALLY_GEOIP"))
	var body []byte
	sh, err := st.ShareBySite(ctx, site.ID)
	switch {
	case err == nil && !flagGiven(args, "min-visitors", "round", "epsilon"):
		// Published: exactly the bytes /share serves (and stores).
		if body, err = b.Published(ctx, site, sh, per, *format, time.Now()); err != nil {
			return err
		}
	case err != nil && !errors.Is(err, account.ErrNotFound):
		return err
	default:
		rep, err := b.Build(ctx, site, *pol, per, time.Now())
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := public.Write(&buf, rep, *format, public.Page{Title: public.ReportTitle(rep)}); err != nil {
			return err
		}
		body = buf.Bytes()
	}
	if *out == "-" {
		_, err = stdout.Write(body)
		return err
	}
	if err := os.WriteFile(*out, body, 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	fmt.Fprintf(stderr, "wrote %s (%d bytes)\n", *out, len(body))
	return nil
}

// flagGiven reports whether any of the named flags appears in args.
func flagGiven(args []string, names ...string) bool {
	for _, a := range args {
		for _, n := range names {
			for _, p := range []string{"-" + n, "--" + n} {
				if a == p || len(a) > len(p) && a[:len(p)+1] == p+"=" {
					return true
				}
			}
		}
	}
	return false
}

// runPrivacyNotice prints the privacy notice derived from the configuration
// that `tally serve` would run with: the same settings, flags and TALLY_*
// variables.
func runPrivacyNotice(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var domain, retention, geoip, checkpoint, controller, contact, basis *string
	var clickhouse *flag.Flag
	st, pos, err := admin(ctx, "privacy-notice", args, stderr, func(fs *flag.FlagSet) {
		domain = fs.String("site", "", "narrow the notice to one published site's policy and publication")
		retention = serveSetting(fs, "retention")
		geoip = serveSetting(fs, "geoip")
		checkpoint = serveSetting(fs, "checkpoint")
		controller = serveSetting(fs, "privacy-controller")
		contact = serveSetting(fs, "privacy-contact")
		basis = serveSetting(fs, "privacy-legal-basis")
		clickhouse = fs.Lookup("clickhouse")
	})
	if err != nil {
		return err
	}
	defer st.Close()
	if len(pos) != 0 {
		return errors.New("usage: tally privacy-notice [--site DOMAIN] [--privacy-controller …] [--privacy-contact …]")
	}
	cfg := Config{GeoIP: *geoip, ClickHouse: clickhouse.Value.String(),
		Privacy: PrivacyContact{Controller: *controller, Contact: *contact, LegalBasis: *basis}}
	if cfg.Retention, err = ParseRetention(*retention); err != nil {
		return fmt.Errorf("--retention: %w", err)
	}
	if cfg.Checkpoint, err = time.ParseDuration(*checkpoint); err != nil {
		return fmt.Errorf("--checkpoint: %w", err)
	}
	var ns *public.NoticeSite
	if *domain != "" {
		site, err := st.Site(ctx, account.LookupDomain(*domain))
		if err != nil {
			return fmt.Errorf("privacy-notice %s: %w", *domain, err)
		}
		ns = &public.NoticeSite{Domain: site.Domain, CountDNT: site.CountDNT}
		minVisitors := public.DefaultMinVisitors
		if sh, err := st.ShareBySite(ctx, site.ID); err == nil {
			ns.Share = &sh
			minVisitors = public.PolicyOf(sh).MinVisitors
		} else if !errors.Is(err, account.ErrNotFound) {
			return err
		}
		u, err := public.SiteUsage(ctx, aggregate.NewEngine(st, nil), site, time.Now(), minVisitors)
		if err != nil {
			return err
		}
		ns.Usage = &u
	}
	return public.WriteNoticeText(stdout, public.Notice(noticeInstance(cfg), ns))
}

// serveSetting registers one of serve's settings from the settings table
// on an admin command, with its TALLY_* default.
func serveSetting(fs *flag.FlagSet, name string) *string {
	for _, s := range settings {
		if s.name == name {
			def := s.def
			if v, ok := os.LookupEnv(s.env()); ok {
				def = v
			}
			return fs.String(name, def, fmt.Sprintf("%s (env %s)", s.help, s.env()))
		}
	}
	panic("no setting " + name)
}

// noticeInstance describes the configuration for the privacy notice. Of
// a ClickHouse DSN only the host is named: it holds credentials.
func noticeInstance(cfg Config) public.Instance {
	inst := public.Instance{Retention: cfg.Retention.Human(), Geo: cfg.GeoIP != geoNone, Credits: geoCredits(cfg.GeoIP), Checkpoint: cfg.Checkpoint,
		Controller: cfg.Privacy.Controller, Contact: cfg.Privacy.Contact, LegalBasis: cfg.Privacy.LegalBasis}
	if cfg.ClickHouse != "" {
		inst.ClickHouseHost = "(unreadable address)"
		if u, err := url.Parse(cfg.ClickHouse); err == nil && u.Hostname() != "" {
			inst.ClickHouseHost = u.Hostname()
		}
	}
	return inst
}

// Human says the retention in words for the privacy notice; empty: forever.
func (r Retention) Human() string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case r.Months > 0:
		return plural(r.Months, "month")
	case r.Days > 0:
		return plural(r.Days, "day")
	}
	return ""
}
