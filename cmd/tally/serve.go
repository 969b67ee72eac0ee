package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/aggregate"
	"tally/collector"
	"tally/collector/geo"
	"tally/dashboard"
	"tally/dashboard/public"
	"tally/metrics"
)

// server holds everything `tally serve` wires together.
type server struct {
	cfg       Config
	log       *slog.Logger
	store     aggregate.Store
	agg       *aggregate.Aggregator
	collector *collector.Collector
	engine    *aggregate.Engine
	stats     *dashboard.StatsAPI
	dash      *dashboard.Dashboard
	public    *public.Handler // shared dashboards, published reports, privacy notice
	metrics   *metrics.Metrics
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	cfgFn := flags(fs, true)
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	cfg, err := cfgFn()
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)

	opened, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer opened.Close()
	m := metrics.New()
	st := m.Store(opened) // every store call is timed
	var geoDB *geo.DB
	if cfg.GeoIP != "" {
		if geoDB, err = geo.Open(cfg.GeoIP); err != nil {
			return err
		}
		defer geoDB.Close()
	}

	now := time.Now
	aggCfg := aggregate.DefaultConfig
	aggCfg.Checkpoint = cfg.Checkpoint
	aggCfg.SpillDir = cfg.Data
	aggCfg.SpillCells = cfg.SpillCells
	aggCfg.OnCheckpoint = m.Checkpoint
	agg := aggregate.New(aggCfg, st, now, log)
	salts := aggregate.NewSalts(now) // in memory only; zeroed at 00:00 UTC
	defer salts.Close()
	engine := aggregate.NewEngine(st, agg)
	pub, err := public.New(st, engine, now, noticeInstance(cfg))
	if err != nil {
		agg.Close(context.Background())
		return err
	}
	s := &server{
		cfg:       cfg,
		log:       log,
		store:     st,
		agg:       agg,
		collector: collector.New(collector.Config{TrustedProxies: cfg.TrustedProxies, RateLimit: cfg.RateLimit}, st, agg, salts, geoDB, now, log),
		metrics:   m,
		engine:    engine,
		stats:     dashboard.NewStatsAPI(st, engine, now),
		dash: dashboard.New(dashboard.Config{Store: st, Engine: engine, Realtime: agg.Realtime, Now: now, Log: log,
			TrustedProxies: cfg.TrustedProxies, Sharing: pub.SharingSection}),
		public: pub,
	}

	app := fiber.New(fiber.Config{
		AppName:               "tally",
		DisableStartupMessage: true,
		// Fiber's strings (headers, params, query values) otherwise point into
		// a request buffer that is reused after the handler returns; tally
		// keeps some (a language in a cell key, a parsed user agent in a
		// cache), so they must be copies.
		Immutable:    true,
		BodyLimit:    1 << 20,
		ReadTimeout:  10 * time.Second,
		WriteTimeout: 30 * time.Second,
		IdleTimeout:  120 * time.Second,
		ErrorHandler: s.errorHandler,
	})
	m.Watch(s.collector.Counts(), agg)
	routes(app, s)

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		agg.Close(context.Background())
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	store := "embedded store in " + cfg.Data
	if cfg.ClickHouse != "" {
		store = "ClickHouse"
	}
	log.Info("tally is serving", "addr", ln.Addr().String(), "store", store, "instance", agg.Instance())

	if cfg.MetricsListen != "" {
		mln, err := net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			agg.Close(context.Background())
			return fmt.Errorf("listen on %s for metrics: %w", cfg.MetricsListen, err)
		}
		msrv := &http.Server{Handler: metricsMux(m), ReadHeaderTimeout: 5 * time.Second}
		go msrv.Serve(mln)
		defer msrv.Close()
		log.Info("serving metrics", "addr", mln.Addr().String(), "path", "/metrics")
	}
	go s.retentionLoop(ctx)
	go s.watchDrops(ctx)
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()

	select {
	case err = <-served:
	case <-ctx.Done():
		log.Info("shutting down: finishing requests, then the final checkpoint")
		err = app.ShutdownWithTimeout(10 * time.Second)
	}
	cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if cerr := agg.Close(cctx); cerr != nil {
		log.Error("final checkpoint failed; counts since the last checkpoint are lost", "err", cerr)
		err = errors.Join(err, cerr)
	}
	return err
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// errorHandler turns every handler error into its status and a one-line
// message: JSON for the API, plain text elsewhere. Unexpected errors are
// logged and shown as a generic 500.
func (s *server) errorHandler(c *fiber.Ctx, err error) error {
	code := fiber.StatusInternalServerError
	msg := "internal error"
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		code, msg = fe.Code, fe.Message
	case errors.Is(err, aggregate.ErrInvalid):
		// A question the engine will not run (too large, malformed):
		// the caller's to change, and its message says how.
		code, msg = fiber.StatusBadRequest, strings.TrimPrefix(err.Error(), aggregate.ErrInvalid.Error()+": ")
	default:
		s.log.Error("request failed", "method", c.Method(), "route", c.Route().Path, "err", err)
	}
	if len(c.Path()) >= 5 && c.Path()[:5] == "/api/" {
		return c.Status(code).JSON(fiber.Map{"error": msg})
	}
	if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodPost {
		return dashboard.ErrorPage(c, code, msg) // people read these in a browser
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.Status(code).SendString(msg)
}

// health answers 200 while the store answers and takes checkpoints, 503
// with the reason otherwise. Events are still taken while degraded.
func (s *server) health(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	st := s.agg.Stats()
	degraded := func(reason string) error {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "degraded", "reason": reason,
			"checkpoints_failing": st.Failing, "cells_in_memory": st.OpenCells, "spilled": st.Spilled})
	}
	if err := s.store.Ping(ctx); err != nil {
		return degraded("store unreachable")
	}
	if st.Failing > 0 {
		return degraded(fmt.Sprintf("checkpoints failing since %s", st.FailingSince.UTC().Format(time.RFC3339)))
	}
	return c.JSON(fiber.Map{"status": "ok"})
}

// metricsMux serves GET /metrics and Go's profiler under /debug/pprof/, on
// the metrics listener only: both are for the operator, never the public.
func metricsMux(m *metrics.Metrics) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}

// watchDrops logs one line when the collector starts dropping events for
// overload (queue full) or rate limiting, and one when it stops, with how
// many were dropped. It never logs an address.
func (s *server) watchDrops(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	counts := s.collector.Counts()
	type watch struct {
		what          string
		n             func() uint64
		last, atStart uint64
		on            bool
		quiet         int
	}
	ws := []*watch{
		{what: "overload: ingest queue full, answering 503", n: counts.Overload.Load},
		{what: "rate limit: answering 429 to networks over --rate-limit", n: counts.RateLimited.Load},
	}
	for _, w := range ws {
		w.last = w.n()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, w := range ws {
			n := w.n()
			switch {
			case n > w.last && !w.on:
				w.on, w.atStart, w.quiet = true, w.last, 0
				s.log.Warn(w.what+": started", "dropped_last_second", n-w.last)
			case n > w.last:
				w.quiet = 0
			case w.on:
				if w.quiet++; w.quiet >= 5 { // five quiet seconds end it
					w.on = false
					s.log.Info(w.what+": over", "dropped", n-w.atStart)
				}
			}
			w.last = n
		}
	}
}

// retentionLoop drops aggregates past the retention period, hourly.
func (s *server) retentionLoop(ctx context.Context) {
	if s.cfg.Retention == (Retention{}) {
		return
	}
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		cutoff := s.cfg.Retention.Cutoff(time.Now())
		if err := s.store.DropBefore(ctx, cutoff); err != nil {
			s.log.Warn("retention: drop old aggregates failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
