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
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/account"
	"tally/aggregate"
	"tally/aggregate/clickhouse"
	"tally/collector"
	"tally/collector/geo"
	"tally/dashboard"
	"tally/dashboard/public"
	"tally/internal/connlimit"
	"tally/metrics"
)

// server holds everything `tally serve` wires together.
type server struct {
	cfg       Config
	log       *slog.Logger
	store     *metrics.Store
	damaged   atomic.Pointer[string] // why the store's own check failed, if it did
	agg       *aggregate.Aggregator
	collector *collector.Collector
	engine    *aggregate.Engine
	stats     *dashboard.StatsAPI
	dash      *dashboard.Dashboard
	public    *public.Handler // shared dashboards, published reports, privacy notice
	metrics   *metrics.Metrics
	conns     *connlimit.Listener // the public listener, for health
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	cfgFn := flags(fs, true)
	if pos, err := parseArgs(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return fmt.Errorf("serve takes no arguments, got %q (flags start with --)", pos[0])
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
	// Closing the store ends the shutdown; after SIGTERM it is bounded too
	// (SQLite folds its write-ahead log into the file on close, which can
	// take seconds after a flood; left undone, the next open does it).
	var closeBy time.Time
	defer func() {
		closed := make(chan struct{})
		go func() { opened.Close(); close(closed) }()
		if closeBy.IsZero() {
			<-closed
			return
		}
		select {
		case <-closed:
		case <-time.After(time.Until(closeBy)):
			log.Warn("store not closed in time; exiting anyway, it recovers at the next start")
		}
	}()
	m := metrics.New()
	st := m.Store(opened) // every store call is timed
	geoDB, err := openGeo(cfg.GeoIP, log)
	if err != nil {
		return err
	}
	defer geoDB.Close()

	now := time.Now
	aggCfg := aggregate.DefaultConfig
	aggCfg.Checkpoint = cfg.Checkpoint
	aggCfg.SpillDir = cfg.Data
	aggCfg.SpillCells = cfg.SpillCells
	aggCfg.Journal = cfg.Journal
	aggCfg.OnCheckpoint = m.Checkpoint
	agg := aggregate.New(aggCfg, st, now, log)
	// What a crash or a cut-short shutdown left in the journal goes to the
	// store before serving, for a while: a long replay (a flood's worth of
	// cells) must not keep the server from taking hits, so past recoverWait
	// the checkpoints go on with it. Nothing is counted twice either way.
	rctx, rcancel := context.WithTimeout(ctx, recoverWait)
	if err := agg.Recover(rctx); err != nil {
		log.Warn("journal replay not finished before serving; the checkpoints go on with it", "err", err)
	}
	rcancel()
	salts := aggregate.NewSalts(now) // in memory only; zeroed at 00:00 UTC
	defer salts.Close()
	engine := aggregate.NewEngine(st, agg)
	setupToken, err := firstRunToken(ctx, st)
	if err != nil {
		agg.Close(context.Background())
		return err
	}
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
		dash: dashboard.New(dashboard.Config{Store: st, Engine: engine, Realtime: agg.Realtime, Live: agg.Live, Now: now, Log: log,
			TrustedProxies: cfg.TrustedProxies, Sharing: pub.SharingSection, SetupToken: setupToken, Credits: geoCredits(cfg.GeoIP)}),
		public: pub,
	}
	s.stats.Realtime = agg.Realtime

	app := fiber.New(fiber.Config{
		AppName:               "tally",
		DisableStartupMessage: true,
		// Fiber's strings (headers, params, query values) otherwise point into
		// a request buffer that is reused after the handler returns; tally
		// keeps some (a language in a cell key, a parsed user agent in a
		// cache), so they must be copies.
		Immutable:    true,
		BodyLimit:    maxBody,
		ReadTimeout:  10 * time.Second,
		WriteTimeout: 30 * time.Second,
		IdleTimeout:  120 * time.Second,
		ErrorHandler: s.errorHandler,
	})
	m.Watch(s.collector.Counts(), agg)
	if cl, isCluster := opened.(*clickhouse.Store); isCluster && cfg.CHCluster != "" {
		m.WatchNodes(func(ctx context.Context) []metrics.Node {
			var out []metrics.Node
			for _, n := range cl.Nodes(ctx) {
				out = append(out, metrics.Node{Shard: n.Shard, Replica: n.Replica, Up: n.Err == nil})
			}
			return out
		})
	}
	routes(app, s)

	tcp, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		agg.Close(context.Background())
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	maxConns := maxConnections(cfg.MaxConns)
	ln := connlimit.New(tcp, connlimit.Config{Max: maxConns, PerNetwork: cfg.MaxConnsPerNet,
		Network: collector.Truncate, Exempt: cfg.TrustedProxies})
	s.conns = ln
	m.WatchConnections(ln.Stats)
	store := "embedded store in " + cfg.Data
	if cfg.ClickHouse != "" {
		store = "ClickHouse"
	}
	log.Info("tally is serving", "addr", ln.Addr().String(), "store", store, "instance", agg.Instance(),
		"max_connections", maxConns, "max_connections_per_network", cfg.MaxConnsPerNet)
	if setupToken != "" {
		// The link is the only way to the first-run page: whoever can
		// read this log (the operator) creates the first admin, not
		// whoever reaches the port first.
		log.Warn("no account yet: open the setup link to create the first admin (or run `tally user add EMAIL`)",
			"setup", setupLink(ln.Addr(), setupToken))
	}

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
	go s.checkStore(ctx, opened)
	go s.watchDrops(ctx)
	served := make(chan error, 1)
	var stopAt time.Time
	go func() { served <- app.Listener(ln) }()

	select {
	case err = <-served:
		stopAt = time.Now()
	case <-ctx.Done():
		stopAt = time.Now()
		log.Info("shutting down: finishing requests, then the final checkpoint")
		// Keep-alive clients (a load balancer, a busy browser) may hold
		// connections past the grace: they are closed, which loses no
		// acknowledged hit and is no failure of the exit.
		if serr := app.ShutdownWithTimeout(shutdownRequests); serr != nil {
			log.Warn("connections still open after the grace for requests were closed", "grace", shutdownRequests.String(), "err", serr)
		}
	}
	// Whatever the load, the process exits within a container's grace
	// period: the journal is synced first, then the store gets what is left
	// of the budget; what it does not take is replayed at the next start.
	cctx, cancel := context.WithDeadline(context.Background(), stopAt.Add(shutdownBudget))
	defer cancel()
	closeBy = stopAt.Add(shutdownExit)
	// A store that does not notice its deadline must not hold the exit
	// either: the journal has what was synced (the final seal too, unless
	// the store held up the checkpoint before it).
	closed := make(chan error, 1)
	go func() { closed <- agg.Close(cctx) }()
	var cerr error
	stuck := false
	select {
	case cerr = <-closed:
	case <-time.After(time.Until(closeBy)):
		stuck = true
	}
	took := time.Since(stopAt).Round(time.Millisecond).String()
	switch {
	case stuck:
		log.Error("the store did not give up its write by the exit deadline; exiting, the journal is replayed at the next start", "took", took)
	case cerr == nil:
		log.Info("final checkpoint stored", "took", took)
	case errors.Is(cerr, aggregate.ErrKeptInJournal):
		log.Warn("final checkpoint not finished in time; every count is in the journal, replayed at the next start", "err", cerr, "took", took)
	default:
		log.Error("final checkpoint failed; counts since the last checkpoint are lost", "err", cerr, "took", took)
		err = errors.Join(err, cerr)
	}
	return err
}

// openGeo opens the location database --geoip names: the embedded country
// database by default, a MaxMind-format file (countries and regions), or
// none at all ("none": every location unknown).
func openGeo(setting string, log *slog.Logger) (*geo.DB, error) {
	switch setting {
	case geoNone:
		log.Info("locations off (--geoip none)")
		return nil, nil
	case "":
		db, err := geo.Embedded()
		if err == nil {
			log.Info("locations: the embedded country database", "built", db.Built().Format(time.DateOnly), "data", geo.Attribution)
		}
		return db, err
	}
	return geo.Open(setting)
}

// geoCredits is the attribution the embedded database's licence asks for,
// shown on the dashboard while it is the one in use.
func geoCredits(setting string) string {
	if setting == "" {
		return geo.Attribution + "."
	}
	return ""
}

// geoNone is the --geoip value that turns locations off.
const geoNone = "none"

// maxConnections is the configured bound, or by default the process's
// file-descriptor limit less what the store, spill and journal files and
// the metrics listener may need: a client holding every connection it may
// then still cannot make accept fail.
func maxConnections(configured int) int {
	if configured > 0 {
		return configured
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur > 1<<20 {
		return 1 << 16
	}
	return max(int(lim.Cur)-fdReserve, 64)
}

// fdReserve is the descriptors kept for everything but public connections.
const fdReserve = 256

// maxBody bounds every request body, as sent and once decoded: the
// largest are Stats API questions, far below it.
const maxBody = 1 << 20

// Docker and Kubernetes send SIGKILL 10 s after SIGTERM: requests get up to
// shutdownRequests to finish, the final checkpoint what is left of
// shutdownBudget, closing the store ends by shutdownExit, and the last
// second is the margin for a write noticing its deadline and the exit itself.
const (
	shutdownBudget   = 7 * time.Second
	shutdownExit     = 9 * time.Second
	shutdownRequests = 2 * time.Second
	recoverWait      = 10 * time.Second
)

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
	code, msg, known := dashboard.Status(err)
	if !known {
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
	// Whether new connections are being turned away; the counts are for
	// /metrics, which is private: this answer is public.
	conns := "ok"
	if s.conns != nil && s.conns.Full() {
		conns = "at limit"
	}
	degraded := func(reason string) error {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "degraded", "reason": reason,
			"checkpoints_failing": st.Failing, "cells_in_memory": st.OpenCells, "spilled": st.Spilled, "connections": conns})
	}
	if err := s.store.Ping(ctx); err != nil {
		var shard *clickhouse.ShardDownError
		if errors.As(err, &shard) {
			return degraded(fmt.Sprintf("ClickHouse shard %d unreachable (hits are kept until it is back)", shard.Shard))
		}
		return degraded("store unreachable")
	}
	if reason := s.damaged.Load(); reason != nil {
		return degraded(*reason)
	}
	// A ping reaches the store; a lookup shows it can also answer a
	// query (a damaged file, a missing table answer pings).
	if _, err := s.store.Site(ctx, healthProbe); !errors.Is(err, account.ErrNotFound) {
		if err == nil {
			err = errors.New("a site named " + healthProbe + " exists")
		}
		s.log.Warn("health: the store cannot answer a query", "err", err)
		return degraded("store cannot answer queries (see the log)")
	}
	if st.Failing > 0 {
		return degraded(fmt.Sprintf("checkpoints failing since %s", st.FailingSince.UTC().Format(time.RFC3339)))
	}
	ok := fiber.Map{"status": "ok", "connections": conns}
	// On a ClickHouse cluster, replicas that are down (their shard's
	// other replica serves): no address, this answer is public.
	if cl, isCluster := s.store.Store.(*clickhouse.Store); isCluster {
		var down []string
		for _, n := range cl.Nodes(ctx) {
			if n.Err != nil {
				down = append(down, fmt.Sprintf("shard %d replica %d", n.Shard, n.Replica))
			}
		}
		if down != nil {
			ok["replicas_down"] = down
		}
	}
	return c.JSON(ok)
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

// healthProbe is a domain no site can have (.invalid is reserved, RFC 2606):
// health looks it up to see the store answer a query.
const healthProbe = "health-check.invalid"

// checkStore runs the store's own integrity check once, in the background:
// a damaged embedded store otherwise serves until a query or a hit needs a
// damaged page. What it finds goes to the log, with the way out, and makes
// health say so.
func (s *server) checkStore(ctx context.Context, st aggregate.Store) {
	c, ok := st.(interface{ Check(context.Context) error })
	if !ok {
		return
	}
	if err := c.Check(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("embedded store damaged", "err", err)
		reason := "embedded store damaged (see the log)"
		s.damaged.Store(&reason)
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
