package dashboard

import "github.com/gofiber/fiber/v2"

// Register adds the dashboard's routes to app: every page gets a CSRF
// token and every POST must return it. publish and unpublish answer the
// settings page's share forms (dashboard/public provides them); nil leaves
// those two out. Routes that a /:domain pattern would shadow (/privacy,
// /share/…) must be registered before.
//
// Who may use a route: signed-in users (RequireUser); admins (RequireAdmin);
// on /:domain routes, readers of the site (SiteFor: viewers, owners,
// admins) or its managers (SiteToManage: owners, admins), checked by the
// handler. TestRoutesByRole holds the table.
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

	app.Get("/account", d.CSRF, d.RequireUser, d.Profile)
	app.Post("/account/password", d.CSRF, d.RequireUser, d.ChangePassword)
	app.Post("/account/signout", d.CSRF, d.RequireUser, d.SignOutEverywhere)
	app.Get("/keys", d.CSRF, d.RequireUser, d.Keys)
	app.Post("/keys", d.CSRF, d.RequireUser, d.CreateKey)
	app.Post("/keys/:id/revoke", d.CSRF, d.RequireUser, d.RevokeKey)
	app.Get("/users", d.CSRF, d.RequireUser, d.RequireAdmin, d.Users)
	app.Post("/users", d.CSRF, d.RequireUser, d.RequireAdmin, d.InviteUser)
	app.Post("/users/:id/reset", d.CSRF, d.RequireUser, d.RequireAdmin, d.ResetPassword)
	app.Post("/users/:id/delete", d.CSRF, d.RequireUser, d.RequireAdmin, d.DeleteUser)

	app.Get("/:domain", d.CSRF, d.RequireUser, d.SiteView)
	app.Get("/:domain/export.csv", d.RequireUser, d.SiteCSV)
	app.Get("/:domain/realtime", d.RequireUser, d.Realtime)
	app.Get("/:domain/funnel.json", d.RequireUser, d.FunnelJSON)
	app.Get("/:domain/details", d.CSRF, d.RequireUser, d.DetailsPage)
	app.Get("/:domain/live", d.CSRF, d.RequireUser, d.LivePage)
	app.Get("/:domain/settings", d.CSRF, d.RequireUser, d.Settings)
	app.Post("/:domain/settings", d.CSRF, d.RequireUser, d.SaveSettings)
	app.Post("/:domain/goals", d.CSRF, d.RequireUser, d.AddGoal)
	app.Post("/:domain/goals/delete", d.CSRF, d.RequireUser, d.DeleteGoal)
	app.Post("/:domain/funnels", d.CSRF, d.RequireUser, d.AddFunnel)
	app.Post("/:domain/funnels/delete", d.CSRF, d.RequireUser, d.DeleteFunnel)
	app.Get("/:domain/members", d.CSRF, d.RequireUser, d.Members)
	app.Post("/:domain/members", d.CSRF, d.RequireUser, d.Grant)
	app.Post("/:domain/members/revoke", d.CSRF, d.RequireUser, d.Revoke)
	if publish != nil {
		app.Post("/:domain/share", d.CSRF, d.RequireUser, publish)
	}
	if unpublish != nil {
		app.Post("/:domain/unshare", d.CSRF, d.RequireUser, unpublish)
	}
	app.Get("/:domain/delete", d.CSRF, d.RequireUser, d.DeleteForm)
	app.Post("/:domain/delete", d.CSRF, d.RequireUser, d.DeleteSite)
}
