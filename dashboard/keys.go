package dashboard

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"tally/account"
)

type keysPage struct {
	Keys  []keyRow
	Sites []account.Site // the sites a new key may be narrowed to
	Error string
	// Name and Secret are shown once, after a key is made.
	Name, Secret string
}

type keyRow struct {
	ID                 int64
	Name, Owner, Scope string
	Created, LastUsed  string
}

// Keys answers GET /keys: the user's Stats API keys (an admin's page lists
// every key), and the form for a new one.
func (d *Dashboard) Keys(c *fiber.Ctx) error {
	return d.keys(c, fiber.StatusOK, keysPage{})
}

func (d *Dashboard) keys(c *fiber.Ctx, code int, p keysPage) error {
	ctx, me := c.UserContext(), CurrentUser(c)
	all, err := d.cfg.Store.APIKeys(ctx)
	if err != nil {
		return fmt.Errorf("list API keys: %w", err)
	}
	sites, err := d.acc.Readable(ctx, me)
	if err != nil {
		return err
	}
	p.Sites = sites
	names := map[int64]string{}
	for _, s := range sites {
		names[s.ID] = s.Domain
	}
	for _, k := range all {
		if k.User != me.ID && !me.Admin {
			continue
		}
		row := keyRow{ID: k.ID, Name: k.Name, Owner: "instance-wide", Scope: "all sites",
			Created: k.Created.Format("2006-01-02"), LastUsed: "never"}
		if k.User != 0 {
			row.Owner, row.Scope = "you", "your sites"
			if k.User != me.ID {
				if u, err := d.cfg.Store.UserByID(ctx, k.User); err == nil {
					row.Owner, row.Scope = u.Email, "their sites"
				}
			}
		}
		if len(k.Sites) > 0 {
			row.Scope = ""
			for i, id := range k.Sites {
				if i > 0 {
					row.Scope += ", "
				}
				if n, ok := names[id]; ok {
					row.Scope += n
				} else {
					row.Scope += "a site you cannot see"
				}
			}
		}
		if !k.LastUsed.IsZero() {
			row.LastUsed = k.LastUsed.Format("2006-01-02")
		}
		p.Keys = append(p.Keys, row)
	}
	return render(c, code, "keys", d.page(c, "API keys", p))
}

// CreateKey answers POST /keys (name, site…): a key owned by the user,
// narrowed to the ticked sites; it is shown once.
func (d *Dashboard) CreateKey(c *fiber.Ctx) error {
	ctx, me := c.UserContext(), CurrentUser(c)
	var scope []account.Site
	for _, raw := range c.Request().PostArgs().PeekMulti("site") {
		id, _ := strconv.ParseInt(string(raw), 10, 64)
		site, err := d.cfg.Store.SiteByID(ctx, id)
		if errors.Is(err, account.ErrNotFound) {
			return errNoSite
		} else if err != nil {
			return err
		}
		scope = append(scope, site)
	}
	key, k, err := d.acc.CreateKey(ctx, c.FormValue("name"), me, scope)
	if msg, bad := invalidMessage(err); bad {
		return d.keys(c, fiber.StatusBadRequest, keysPage{Error: msg})
	} else if err != nil {
		return err
	}
	return d.keys(c, fiber.StatusOK, keysPage{Name: k.Name, Secret: key})
}

// RevokeKey answers POST /keys/:id/revoke: the key stops working at once.
// Users revoke their own keys; admins any.
func (d *Dashboard) RevokeKey(c *fiber.Ctx) error {
	ctx, me := c.UserContext(), CurrentUser(c)
	id, _ := strconv.ParseInt(c.Params("id"), 10, 64)
	keys, err := d.cfg.Store.APIKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.ID == id && (k.User == me.ID || me.Admin) {
			if err := d.cfg.Store.DeleteAPIKey(ctx, id); err != nil {
				return err
			}
			return c.Redirect("/keys", fiber.StatusSeeOther)
		}
	}
	return fiber.NewError(fiber.StatusNotFound, "no such key")
}
