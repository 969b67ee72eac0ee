package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"mime"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/account"
	"tally/aggregate"
	"tally/dashboard/worldmap"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// asset is one embedded static file, served under a name that carries a
// hash of its content so browsers may cache it forever.
type asset struct {
	body  []byte
	ctype string
}

// assets maps hashed names ("app.3f2a9c1e.css") to files; assetURLs maps
// plain names to their URLs. Both are filled once at start-up and never
// changed.
var assets, assetURLs = loadAssets()

func loadAssets() (map[string]asset, map[string]string) {
	byHash, urls := map[string]asset{}, map[string]string{}
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		panic(fmt.Errorf("read embedded assets: %w", err))
	}
	for _, e := range entries {
		body, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			panic(fmt.Errorf("read embedded asset %s: %w", e.Name(), err))
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(e.Name())
		hashed := strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:5]) + ext
		byHash[hashed] = asset{body: body, ctype: mime.TypeByExtension(ext)}
		urls[e.Name()] = "/assets/" + hashed
	}
	return byHash, urls
}

// ServeAsset answers GET /assets/:name.
func ServeAsset(c *fiber.Ctx) error {
	a, ok := assets[c.Params("name")]
	if !ok {
		return fiber.NewError(fiber.StatusNotFound, "no such asset")
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderContentType, a.ctype)
	return c.Send(a.body)
}

var funcs = template.FuncMap{
	"asset": func(name string) string { return assetURLs[name] },
	"pct":   func(f float64) string { return coord(f) },
	"rangeLabel": func(p [2]time.Time) string {
		return rangeLabel(p[0], p[1])
	},
	"metricName": func(m aggregate.Metric) string { return string(m) },
	"mapCredit":  func() string { return worldmap.Attribution },
	"gridY":      func(pct float64) float64 { return chartH * (1 - pct/100) },
	"liveList": func(title, dim string, rows []PanelRow) map[string]any {
		return map[string]any{"Title": title, "Dim": dim, "Rows": rows}
	},
}

// pages holds one template set per page: the layout plus the page's own
// "content". The dashboard view ("view") is in every set, so any page,
// including a public one, can embed it.
var pages = parsePages()

func parsePages() map[string]*template.Template {
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/view.html", "templates/funnel.html"))
	out := map[string]*template.Template{}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" || name == "view" || name == "funnel" {
			continue
		}
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, n))
	}
	return out
}

// Page is what the layout needs around a page's content.
type Page struct {
	Title string
	User  *account.User // the signed-in user; nil hides the account menu
	CSRF  string        // the token every POST form of the page carries
	// Notice is shown above the content, e.g. a shared view's privacy notice.
	Notice template.HTML
	Body   any // the page's own data
	// Credits names the sources of data the page shows, in its footer.
	Credits string
}

// render writes page name with p as HTML.
func render(c *fiber.Ctx, code int, name string, p Page) error {
	var buf bytes.Buffer
	if err := renderTo(&buf, name, p); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	securityHeaders(c)
	return c.Status(code).Send(buf.Bytes())
}

func renderTo(w io.Writer, name string, p Page) error {
	t, ok := pages[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	if err := t.ExecuteTemplate(w, "layout", p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	return nil
}

// securityHeaders keep every dashboard page to tally's own origin: no
// script, style, image or font from anywhere else, no framing.
func securityHeaders(c *fiber.Ctx) {
	c.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
		"img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
}

// RenderView writes a whole HTML page showing v, inside the layout with
// p's title and notice; p.Body is replaced by v. Public views call it with
// a zero p.User, so no account menu shows.
func RenderView(c *fiber.Ctx, v *View, p Page) error {
	p.Body = v
	if p.Title == "" {
		p.Title = v.Site.Domain
	}
	return render(c, fiber.StatusOK, "dashboard", p)
}

// ErrorPage renders an error as an HTML page (the server's error handler
// uses it for every non-API route).
func ErrorPage(c *fiber.Ctx, code int, msg string) error {
	return render(c, code, "error", Page{Title: fmt.Sprintf("%d", code), Body: msg})
}
