package dashboard

import "github.com/gofiber/fiber/v2"

// Register adds the dashboard's routes to app: every page gets a CSRF
// token and every POST must return it. publish and unpublish answer the
// settings page's share forms (dashboard/public provides them); nil leaves
// those two out. Routes that a /:domain pattern would shadow (/privacy,
// /share/…) must be registered before.
//
// cmd/tally and the tests register the same routes through this, so the
// tests exercise the wiring that ships.
func (d *Dashboard) Register(app fiber.Router, publish, unpublish fiber.Handler) {
	app.Get("/assets/:name", ServeAsset) // content-hashed, cached forever
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
	app.Get("/:domain/details", d.CSRF, d.RequireUser, d.DetailsPage)
	app.Get("/:domain/live", d.CSRF, d.RequireUser, d.LivePage)
	app.Get("/:domain/settings", d.CSRF, d.RequireUser, d.Settings)
	app.Post("/:domain/settings", d.CSRF, d.RequireUser, d.SaveSettings)
	if publish != nil {
		app.Post("/:domain/share", d.CSRF, d.RequireUser, publish)
	}
	if unpublish != nil {
		app.Post("/:domain/unshare", d.CSRF, d.RequireUser, unpublish)
	}
	app.Get("/:domain/delete", d.CSRF, d.RequireUser, d.DeleteForm)
	app.Post("/:domain/delete", d.CSRF, d.RequireUser, d.DeleteSite)
}
