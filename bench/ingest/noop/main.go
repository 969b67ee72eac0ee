// Command noop is the baseline of the ingest benchmark: a Fiber v2 server
// whose POST /api/event reads the request and answers 202 "ok" without doing
// any work. tally's own /api/event is measured against it with the same load.
package main

import (
	"flag"
	"log"

	"github.com/gofiber/fiber/v2"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8001", "address to serve on")
	flag.Parse()
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post("/api/event", func(c *fiber.Ctx) error {
		c.Status(fiber.StatusAccepted)
		return c.SendString("ok")
	})
	log.Fatal(app.Listen(*listen))
}
