package main

import (
	"github.com/gofiber/fiber/v2"

	trackerjs "tally/tracker-js"
)

// routes registers every HTTP route tally serves, so the whole surface is
// visible here at a glance.
func routes(app *fiber.App, s *server) {
	// Collector: open to every origin, no credentials.
	app.Options("/api/event", cors)
	app.Post("/api/event", cors, s.collector.Event)
	app.Get("/js/:file", trackerjs.Serve) // script.js and Plausible's variant names

	app.Get("/api/health", s.health)
	app.Post("/api/v2/query", s.stats.Query)
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
