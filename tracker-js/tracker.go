// Package trackerjs serves the tracker script: the files that npm run build
// made from src/tracker.js, embedded so the tally binary needs no Node.
//
// A file, once published under a name, never changes behaviour under that
// name, so browsers may cache it for a day. The package never sets a cookie
// and never reads anything about the visitor.
package trackerjs

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

//go:embed dist/*.js
var dist embed.FS

// extensions are the optional features of the script, in the canonical order
// of the built file names: script.hash.outbound-links.js, never
// script.outbound-links.hash.js. The build (build.mjs) uses the same order.
var extensions = []string{"hash", "outbound-links", "file-downloads", "tagged-events", "manual"}

// file is one built script, plain and gzipped, each with its strong ETag.
type file struct {
	body, gz       []byte
	etag, etagGzip string
}

// files maps a canonical name (script.hash.js) to its file. It is filled
// once from the embedded build and only read afterwards.
var files = mustLoad()

func mustLoad() map[string]*file {
	names, err := fs.Glob(dist, "dist/*.js")
	if err != nil {
		panic(fmt.Errorf("list embedded tracker files: %w", err))
	}
	out := make(map[string]*file, len(names))
	for _, name := range names {
		body, err := dist.ReadFile(name)
		if err != nil {
			panic(fmt.Errorf("read embedded %s: %w", name, err))
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		sum := sha256.Sum256(body)
		tag := hex.EncodeToString(sum[:12])
		out[path.Base(name)] = &file{
			body:     body,
			gz:       buf.Bytes(),
			etag:     `"` + tag + `"`,
			etagGzip: `"` + tag + `-gz"`,
		}
	}
	return out
}

// Names lists the canonical names of all served files.
func Names() []string {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	return names
}

// Canonical puts the extensions of a requested name in the canonical order,
// so that script.outbound-links.hash.js is script.hash.outbound-links.js.
// It reports false for a name that is not script[.ext...].js with known,
// distinct extensions. plausible[.ext...].js, the script's older name that
// existing tags still load, is the same file as script[.ext...].js.
func Canonical(name string) (string, bool) {
	middle, ok := strings.CutPrefix(name, "script.")
	if !ok {
		middle, ok = strings.CutPrefix(name, "plausible.")
	}
	if !ok {
		return "", false
	}
	middle, ok = strings.CutSuffix(middle, "js")
	if !ok {
		return "", false
	}
	have := make([]bool, len(extensions))
	if middle != "" {
		middle, ok = strings.CutSuffix(middle, ".")
		if !ok {
			return "", false
		}
		for _, ext := range strings.Split(middle, ".") {
			i := index(extensions, ext)
			if i < 0 || have[i] {
				return "", false
			}
			have[i] = true
		}
	}
	parts := []string{"script"}
	for i, ext := range extensions {
		if have[i] {
			parts = append(parts, ext)
		}
	}
	return strings.Join(append(parts, "js"), "."), true
}

func index(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// Serve answers GET /js/:file with the script of that name.
func Serve(c *fiber.Ctx) error {
	name, ok := Canonical(c.Params("file"))
	f := files[name]
	if !ok || f == nil {
		return fiber.NewError(fiber.StatusNotFound, "unknown script")
	}
	body, etag := f.body, f.etag
	gzipped := acceptsGzip(c.Get(fiber.HeaderAcceptEncoding))
	if gzipped {
		body, etag = f.gz, f.etagGzip
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	if matches(c.Get(fiber.HeaderIfNoneMatch), etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	if gzipped {
		c.Set(fiber.HeaderContentEncoding, "gzip")
	}
	return c.Send(body)
}

// acceptsGzip reads an Accept-Encoding header: gzip or * with a q above 0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.TrimSpace(coding)
		if coding != "gzip" && coding != "*" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			q, _ = strconv.ParseFloat(v, 64)
		}
		return q > 0
	}
	return false
}

// matches reports whether an If-None-Match header names etag; the weak
// comparison of RFC 9110 applies, so W/"x" matches "x".
func matches(header, etag string) bool {
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
			return true
		}
	}
	return false
}
