package main

import (
	"github.com/gofiber/fiber/v2"

	"tally/dashboard"
	trackerjs "tally/tracker-js"
)

// routes registers every HTTP route tally serves, so the whole surface is
// visible here at a glance.
func routes(app *fiber.App, s *server) {
	// Collector: open to every origin, no credentials.
	app.Options("/api/event", cors)
	app.Post("/api/event", s.metrics.Ingest, cors, s.collector.Event)
	app.Get("/js/:file", trackerjs.Serve) // script.js and Plausible's variant names

	app.Get("/api/health", s.health)
	app.Post("/api/v2/query", s.stats.Query)

	// Public views, no login, all through the protection layer of
	// dashboard/public; before the dashboard's /:domain routes.
	app.Get("/privacy", s.public.Privacy)
	app.Get("/share/:slug", s.public.Share)
	app.Get("/share/:slug/report/:period", s.public.Report)

	// Dashboard: every page gets a CSRF token, every POST must return it.
	d := s.dash
	app.Get("/assets/:name", dashboard.ServeAsset) // content-hashed, cached forever
	app.Get("/login", d.CSRF, d.LoginForm)
	app.Post("/login", d.CSRF, d.Login)
	app.Post("/logout", d.CSRF, d.Logout)
	app.Get("/setup", d.CSRF, d.SetupForm)
	app.Post("/setup", d.CSRF, d.Setup)
	app.Get("/", d.CSRF, d.RequireUser, d.Sites)
	app.Get("/sites/new", d.CSRF, d.RequireUser, d.NewSiteForm)
	app.Post("/sites", d.CSRF, d.RequireUser, d.AddSite)
	app.Get("/:domain", d.CSRF, d.RequireUser, d.SiteView)
	app.Get("/:domain/export.csv", d.RequireUser, d.SiteCSV)
	app.Get("/:domain/realtime", d.RequireUser, d.Realtime)
	app.Get("/:domain/settings", d.CSRF, d.RequireUser, d.Settings)
	app.Post("/:domain/settings", d.CSRF, d.RequireUser, d.SaveSettings)
	app.Post("/:domain/share", d.CSRF, d.RequireUser, s.public.PublishSite(d))     // settings: publish
	app.Post("/:domain/unshare", d.CSRF, d.RequireUser, s.public.UnpublishSite(d)) // settings: unpublish
	app.Get("/:domain/delete", d.CSRF, d.RequireUser, d.DeleteForm)
	app.Post("/:domain/delete", d.CSRF, d.RequireUser, d.DeleteSite)
}

// cors lets any page post events; the tracker sends text/plain, so
// browsers need no preflight, but other clients may ask.
func cors(c *fiber.Ctx) error {
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	c.Set(fiber.HeaderAccessControlAllowMethods, "POST, OPTIONS")
	c.Set(fiber.HeaderAccessControlAllowHeaders, "Content-Type")
	c.Set(fiber.HeaderAccessControlMaxAge, "86400")
	if c.Method() == fiber.MethodOptions {
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Next()
}
