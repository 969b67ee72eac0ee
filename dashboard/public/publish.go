package public

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"tally/account"
	"tally/aggregate"
)

// slugBytes is the randomness of a share path: 128 bits, 22 characters
// of base64url.
const slugBytes = 16

// NewSlug returns an unguessable share path segment. `tally site publish`
// and the dashboard's settings page both get their slugs here.
func NewSlug() (string, error) {
	b := make([]byte, slugBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new share slug: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ValidSlug reports whether s could be a share slug: base64url, at least
// as long as NewSlug makes them. A slug written by another tool that is
// short enough to guess is refused, so it never becomes a public path.
func ValidSlug(s string) bool {
	if len(s) < base64.RawURLEncoding.EncodedLen(slugBytes) || len(s) > 128 {
		return false
	}
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}

// Publish makes site public under pol: a new slug the first time; later,
// new parameters under the same slug, so links already shared keep working.
func Publish(ctx context.Context, st aggregate.Store, site account.Site, pol Policy) (account.Share, error) {
	if err := pol.Validate(); err != nil {
		return account.Share{}, err
	}
	sh, err := st.ShareBySite(ctx, site.ID)
	switch {
	case errors.Is(err, account.ErrNotFound) || err == nil && !ValidSlug(sh.Slug):
		if sh.Slug, err = NewSlug(); err != nil {
			return account.Share{}, err
		}
		sh.Site = site.ID
	case err != nil:
		return account.Share{}, fmt.Errorf("publish %s: %w", site.Domain, err)
	}
	changed := PolicyOf(sh) != pol
	sh.MinVisitors, sh.Round, sh.Epsilon = pol.MinVisitors, pol.Round, pol.Epsilon
	if err := st.SetShare(ctx, sh); err != nil {
		return account.Share{}, fmt.Errorf("publish %s: %w", site.Domain, err)
	}
	// Reports stored under other parameters are not served any more (their
	// keys name the parameters); publishing the same again keeps them.
	if changed {
		if err := st.DeleteReports(ctx, site.ID); err != nil {
			return account.Share{}, fmt.Errorf("publish %s: %w", site.Domain, err)
		}
	}
	return sh, nil
}

// Unpublish removes site's share and its stored reports; its path
// answers 404 from then on.
func Unpublish(ctx context.Context, st aggregate.Store, site account.Site) error {
	if err := st.DeleteShare(ctx, site.ID); err != nil && !errors.Is(err, account.ErrNotFound) {
		return fmt.Errorf("unpublish %s: %w", site.Domain, err)
	}
	if err := st.DeleteReports(ctx, site.ID); err != nil {
		return fmt.Errorf("unpublish %s: %w", site.Domain, err)
	}
	return nil
}

// SharePath is the public base path of a share.
func SharePath(sh account.Share) string { return "/share/" + sh.Slug }
