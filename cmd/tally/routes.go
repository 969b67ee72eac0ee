package main

import (
	"context"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/dashboard"
	"tally/internal/bodylimit"
	trackerjs "tally/tracker-js"
)

// routes registers every HTTP route tally serves, so the whole surface is
// visible here at a glance (the dashboard's own in dashboard/routes.go).
func routes(app *fiber.App, s *server) {
	if s.cfg.HSTS > 0 {
		app.Use(hsts(s.cfg.HSTS))
	}
	// Collector: open to every origin, no credentials. First, ahead of the
	// middleware below: it decodes (and counts) its own bodies and never
	// waits on the store but for a site lookup, which has its own deadline.
	app.Options("/api/event", cors)
	app.Post("/api/event", s.metrics.Ingest, cors, s.collector.Event)
	app.Get("/js/:file", trackerjs.Serve) // script.js, plausible.js and their variant names

	// Every other request: no compressed body inflates past a bound, and
	// the work a request starts in the store ends at its deadline.
	app.Use(bodylimit.Middleware(maxBody), deadline(requestTimeout))

	app.Get("/api/health", s.health)
	app.Post("/api/v2/query", s.stats.Query)
	// Plausible's Stats API v1, on the same engine and keys (dashboard/statsv1.go).
	app.Get("/api/v1/stats/realtime/visitors", s.stats.V1Realtime)
	app.Get("/api/v1/stats/aggregate", s.stats.V1Aggregate)
	app.Get("/api/v1/stats/timeseries", s.stats.V1Timeseries)
	app.Get("/api/v1/stats/breakdown", s.stats.V1Breakdown)

	// Public views, no login, all through the protection layer of
	// dashboard/public; before the dashboard's /:domain routes.
	app.Get("/privacy", s.public.Privacy)
	app.Get("/share/:slug", s.public.Share)
	app.Get("/share/:slug/report/:period", s.public.Report)
	app.Get("/share/:slug/details/:table", s.public.ShareDetails)

	// Dashboard: its pages, settings and site management, listed in
	// dashboard/routes.go (the dashboard's tests register them the same way).
	s.dash.Register(app, s.public.PublishSite(s.dash), s.public.UnpublishSite(s.dash))
}

// requestTimeout bounds what one request may make the store do: the
// slowest view measured (a year of a 10 M-pageview site, filtered) takes a
// few seconds.
const requestTimeout = 30 * time.Second

// deadline gives each request's context a deadline; the store's queries
// run under it and stop when it passes.
func deadline(d time.Duration) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), d)
		defer cancel()
		c.SetUserContext(ctx)
		return c.Next()
	}
}

// hsts tells browsers that reached tally over HTTPS to use nothing else
// for maxAge. Over plain HTTP the header would be ignored, so it is not sent.
func hsts(maxAge time.Duration) fiber.Handler {
	value := fmt.Sprintf("max-age=%d", int64(maxAge.Seconds()))
	return func(c *fiber.Ctx) error {
		if dashboard.Secure(c) {
			c.Set(fiber.HeaderStrictTransportSecurity, value)
		}
		return c.Next()
	}
}

// cors lets any page post events; the tracker sends text/plain, so
// browsers need no preflight, but other clients may ask. Only the preflight
// answer needs the methods, headers and max age; an event's answer, sent
// thousands of times a second, carries just the origin.
func cors(c *fiber.Ctx) error {
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	if c.Method() == fiber.MethodOptions {
		c.Set(fiber.HeaderAccessControlAllowMethods, "POST, OPTIONS")
		c.Set(fiber.HeaderAccessControlAllowHeaders, "Content-Type")
		c.Set(fiber.HeaderAccessControlMaxAge, "86400")
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Next()
}
