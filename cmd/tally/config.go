package main

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// setting is one configuration value. Every setting is defined here once:
// its flag, its environment variable, its default and its help text. --help,
// validation and the README's configuration table all come from this table.
type setting struct {
	name  string // flag name, without dashes
	def   string
	help  string
	serve bool // only `tally serve` takes it; otherwise every command does
}

// env is the environment variable of a setting: TALLY_ + upper-case name.
func (s setting) env() string {
	if s.name == "clickhouse" {
		return "TALLY_CLICKHOUSE_URL"
	}
	return "TALLY_" + strings.ToUpper(strings.ReplaceAll(s.name, "-", "_"))
}

var settings = []setting{
	{name: "data", def: "./tally-data", help: "directory of the embedded store (and local caches)"},
	{name: "clickhouse", def: "", help: "ClickHouse DSN, e.g. clickhouse://user:pass@host:9000/tally; empty: the embedded store"},
	{name: "clickhouse-cluster", def: "", help: "name of the ClickHouse cluster (the servers' remote_servers) to shard and replicate tally's tables over (docs/clickhouse.md); empty: one server"},
	{name: "listen", def: "127.0.0.1:8000", help: "address to serve HTTP on", serve: true},
	{name: "trusted-proxies", def: "", help: "comma-separated CIDRs whose X-Forwarded-For / X-Real-IP are believed", serve: true},
	{name: "geoip", def: "", help: "location database: empty for the embedded country database (regional internet registries' data), a MaxMind-format .mmdb for countries and regions, or none for no locations", serve: true},
	{name: "checkpoint", def: "5s", help: "how often the counts of the last interval are written to the store", serve: true},
	{name: "retention", def: "", help: "drop aggregates older than this, e.g. 25mo or 400d; empty: keep forever", serve: true},
	{name: "log-format", def: "text", help: "log format: text or json", serve: true},
	{name: "log-level", def: "info", help: "log level: debug, info, warn or error", serve: true},
	{name: "metrics-listen", def: "", help: "address to serve Prometheus metrics on (GET /metrics), e.g. 127.0.0.1:9100; keep it private; empty: off", serve: true},
	{name: "rate-limit", def: "0", help: "most events a second taken from one /24 (IPv4) or /48 (IPv6) network, past which /api/event answers 429; 0: no limit", serve: true},
	{name: "max-connections", def: "0", help: "most connections open at once on --listen; past it new ones are closed on arrival; 0: the process's file-descriptor limit less 256 (kept for the store, spill and journal files)", serve: true},
	{name: "max-connections-per-network", def: "512", help: "most connections open at once from one /24 (IPv4) or /48 (IPv6) network; --trusted-proxies are exempt; 0: no limit", serve: true},
	{name: "journal", def: "1s", help: "how often counts not yet in the store are synced to a journal under --data, which the next start replays after a crash; 0: no journal (a crash loses up to --checkpoint)", serve: true},
	{name: "hsts", def: "", help: "max-age of Strict-Transport-Security, sent on answers over HTTPS (directly or per X-Forwarded-Proto / Forwarded), e.g. 8760h; empty: not sent", serve: true},
	{name: "spill-cells", def: "250000", help: "cells kept in memory while the store is unreachable; past it the oldest checkpoints spill to a file under --data until the store is back", serve: true},
	{name: "privacy-controller", def: "", help: "who decides about the statistics, named in the privacy notice (/privacy, tally privacy-notice), e.g. \"Example Ltd, 1 Main St, Springfield\"", serve: true},
	{name: "privacy-contact", def: "", help: "how to reach the controller (or their data protection officer) about privacy, for the notice, e.g. privacy@example.com", serve: true},
	{name: "privacy-legal-basis", def: "", help: "the legal basis the controller relies on, for the notice, e.g. \"legitimate interest (GDPR Art. 6(1)(f))\"; empty: the notice says none was stated", serve: true},
}

// Config is the parsed, validated configuration.
type Config struct {
	Data           string
	ClickHouse     string
	CHCluster      string // --clickhouse-cluster
	Listen         string
	TrustedProxies []netip.Prefix
	GeoIP          string
	Checkpoint     time.Duration
	Retention      Retention
	LogFormat      string
	LogLevel       string
	MetricsListen  string
	RateLimit      int
	MaxConns       int // 0: from the file-descriptor limit
	MaxConnsPerNet int
	SpillCells     int
	Journal        time.Duration
	HSTS           time.Duration
	// Privacy names the controller in the privacy notice.
	Privacy PrivacyContact
}

// PrivacyContact is what the operator states about themselves in the
// privacy notice.
type PrivacyContact struct{ Controller, Contact, LegalBasis string }

// flags registers the settings on fs (all, or only the non-serve ones) and
// returns a function that validates what was given into a Config.
func flags(fs *flag.FlagSet, serve bool) func() (Config, error) {
	vals := map[string]*string{}
	for _, s := range settings {
		if s.serve && !serve {
			continue
		}
		def := s.def
		if v, ok := os.LookupEnv(s.env()); ok {
			def = v
		}
		vals[s.name] = fs.String(s.name, def, fmt.Sprintf("%s (env %s)", s.help, s.env()))
	}
	return func() (Config, error) {
		get := func(name string) string {
			if p := vals[name]; p != nil {
				return strings.TrimSpace(*p)
			}
			for _, s := range settings {
				if s.name == name {
					return s.def
				}
			}
			return ""
		}
		c := Config{
			Data:       get("data"),
			ClickHouse: get("clickhouse"),
			CHCluster:  get("clickhouse-cluster"),
			Listen:     get("listen"),
			GeoIP:      get("geoip"),
			LogFormat:  get("log-format"),
			LogLevel:   get("log-level"),

			MetricsListen: get("metrics-listen"),
			Privacy: PrivacyContact{Controller: get("privacy-controller"), Contact: get("privacy-contact"),
				LegalBasis: get("privacy-legal-basis")},
		}
		var err error
		if c.TrustedProxies, err = parsePrefixes(get("trusted-proxies")); err != nil {
			return c, fmt.Errorf("--trusted-proxies: %w", err)
		}
		if c.Checkpoint, err = time.ParseDuration(get("checkpoint")); err != nil || c.Checkpoint < 100*time.Millisecond {
			return c, fmt.Errorf("--checkpoint: want a duration of at least 100ms, e.g. 5s")
		}
		if c.Retention, err = ParseRetention(get("retention")); err != nil {
			return c, fmt.Errorf("--retention: %w", err)
		}
		if c.RateLimit, err = strconv.Atoi(get("rate-limit")); err != nil || c.RateLimit < 0 {
			return c, fmt.Errorf("--rate-limit: want events a second per network, 0 for none")
		}
		if c.MaxConns, err = strconv.Atoi(get("max-connections")); err != nil || c.MaxConns < 0 {
			return c, fmt.Errorf("--max-connections: want a number of connections, 0 for the file-descriptor limit less 256")
		}
		if c.MaxConnsPerNet, err = strconv.Atoi(get("max-connections-per-network")); err != nil || c.MaxConnsPerNet < 0 {
			return c, fmt.Errorf("--max-connections-per-network: want a number of connections, 0 for no limit")
		}
		if c.Journal, err = time.ParseDuration(get("journal")); err != nil || c.Journal < 0 {
			return c, fmt.Errorf("--journal: want a duration such as 1s, or 0 for no journal")
		}
		if c.SpillCells, err = strconv.Atoi(get("spill-cells")); err != nil || c.SpillCells < 1 {
			return c, fmt.Errorf("--spill-cells: want a positive number of cells")
		}
		if h := get("hsts"); h != "" {
			if c.HSTS, err = time.ParseDuration(h); err != nil || c.HSTS < time.Second {
				return c, fmt.Errorf("--hsts: want a duration such as 8760h, or empty for none")
			}
		}
		if c.LogFormat != "text" && c.LogFormat != "json" {
			return c, fmt.Errorf("--log-format: want text or json")
		}
		switch c.LogLevel {
		case "debug", "info", "warn", "error":
		default:
			return c, fmt.Errorf("--log-level: want debug, info, warn or error")
		}
		if c.Data == "" {
			return c, fmt.Errorf("--data must not be empty")
		}
		return c, nil
	}
}

func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			ip, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not an address or CIDR", f)
			}
			out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Retention is how long aggregates are kept: months or days, zero forever.
type Retention struct{ Months, Days int }

// ParseRetention reads "25mo", "400d" or "" (forever).
func ParseRetention(s string) (Retention, error) {
	if s == "" {
		return Retention{}, nil
	}
	var n int
	var unit string
	if _, err := fmt.Sscanf(s, "%d%s", &n, &unit); err != nil || n <= 0 {
		return Retention{}, fmt.Errorf("want e.g. 25mo or 400d, got %q", s)
	}
	switch unit {
	case "mo":
		return Retention{Months: n}, nil
	case "d":
		return Retention{Days: n}, nil
	}
	return Retention{}, fmt.Errorf("want e.g. 25mo or 400d, got %q", s)
}

// Cutoff is the first instant kept, relative to now; zero means keep all.
func (r Retention) Cutoff(now time.Time) time.Time {
	if r == (Retention{}) {
		return time.Time{}
	}
	now = now.UTC()
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return start.AddDate(0, -r.Months, -r.Days)
}

// settingsTable renders the settings as the README's Markdown table.
func settingsTable() string {
	var b strings.Builder
	b.WriteString("| flag | environment | default | meaning |\n|---|---|---|---|\n")
	for _, s := range settings {
		def := s.def
		if def == "" {
			def = "(none)"
		}
		scope := ""
		if s.serve {
			scope = " (serve)"
		}
		fmt.Fprintf(&b, "| `--%s` | `%s` | `%s` | %s%s |\n", s.name, s.env(), def, s.help, scope)
	}
	return b.String()
}
