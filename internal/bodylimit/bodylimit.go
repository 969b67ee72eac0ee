// Package bodylimit decodes compressed request bodies with a bound on the
// decoded size that holds before any of it is inflated: fasthttp's own
// decoding (behind fiber's Ctx.Body) inflates a body whole, however large
// it turns out, so a 2 KB gzip bomb can cost gigabytes.
package bodylimit

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// ErrTooLarge is returned when the decoded body would pass the limit.
var ErrTooLarge = errors.New("body too large")

// ErrEncoding is returned for content codings tally does not decode: any
// but gzip and deflate, and more than one layer. The tracker never
// compresses; the two are for server-side senders. Brotli is refused
// because its window may take 16 MB of memory per request.
var ErrEncoding = errors.New("unsupported content encoding")

// Decode returns body decoded according to encoding (a Content-Encoding
// header), reading at most max decoded bytes. An empty or identity
// encoding returns body itself, which must then be no larger than max.
func Decode(encoding string, body []byte, max int) ([]byte, error) {
	coding := strings.ToLower(strings.TrimSpace(encoding))
	if coding == "" || coding == "identity" {
		if len(body) > max {
			return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
		}
		return body, nil
	}
	// The compressed size is bounded by the server's BodyLimit; what is
	// bounded here is what it inflates to, as it is read.
	var r io.Reader
	var err error
	switch coding {
	case "gzip", "x-gzip":
		var zr *gzip.Reader
		if zr, err = gzip.NewReader(bytes.NewReader(body)); err == nil {
			zr.Multistream(false) // one member: concatenated members are a second layer in disguise
			r = zr
		}
	case "deflate":
		// RFC 9110's deflate is zlib-wrapped; some senders send it raw.
		if r, err = zlib.NewReader(bytes.NewReader(body)); err != nil {
			r, err = flate.NewReader(bytes.NewReader(body)), nil
		}
	default:
		return nil, fmt.Errorf("%w %q: send identity, gzip or deflate, one layer", ErrEncoding, encoding)
	}
	if err != nil {
		return nil, fmt.Errorf("decode %s body: %w", coding, err)
	}
	out, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("decode %s body: %w", coding, err)
	}
	if len(out) > max {
		return nil, fmt.Errorf("%w: more than %d bytes once decoded", ErrTooLarge, max)
	}
	return out, nil
}

// Status maps Decode's errors to an HTTP error: 413 for a body past the
// limit, 415 for a coding tally does not take, 400 for a body that does not
// decode.
func Status(err error) *fiber.Error {
	switch {
	case errors.Is(err, ErrTooLarge):
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, err.Error())
	case errors.Is(err, ErrEncoding):
		return fiber.NewError(fiber.StatusUnsupportedMediaType, err.Error())
	default:
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
}

// Middleware decodes every compressed request body before a handler can
// read it, bounded by max bytes, and hands the handler the decoded body
// with the Content-Encoding header removed, so that neither Ctx.Body nor
// form parsing inflates anything.
func Middleware(max int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		req := c.Request()
		enc := req.Header.ContentEncoding()
		if len(enc) == 0 {
			return c.Next()
		}
		out, err := Decode(string(enc), req.Body(), max)
		if err != nil {
			return Status(err)
		}
		req.SetBodyRaw(out)
		req.Header.Del(fiber.HeaderContentEncoding)
		return c.Next()
	}
}
