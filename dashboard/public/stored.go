package public

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"tally/account"
	"tally/aggregate"
)

// Keeper is what the builder keeps in the store: each site's noise key and
// the reports it published.
type Keeper interface {
	aggregate.NoiseKeys
	aggregate.Reports
}

// Published returns a published report of a closed period as it was
// first served: stored bytes if there are any, else the report built now,
// rendered, stored and returned. So a report, once out, never changes —
// not when retention deletes its months, not when a late spill replay adds
// to them, not on another instance. The stored bytes belong to the share
// (its slug and parameters are in the key): publishing anew or
// unpublishing deletes them.
func (b *Builder) Published(ctx context.Context, site account.Site, sh account.Share, per Period, format string, now time.Time) ([]byte, error) {
	pol := PolicyOf(sh)
	key := reportKey(sh, pol, per, format)
	body, err := b.keep.Report(ctx, site.ID, key)
	if err == nil {
		return body, nil
	}
	if !errors.Is(err, account.ErrNotFound) {
		return nil, err
	}
	rep, err := b.Build(ctx, site, pol, per, now)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := Write(&buf, rep, format, Page{Title: ReportTitle(rep), PrivacyHref: "/privacy?site=" + site.Domain, Credits: b.Credits}); err != nil {
		return nil, err
	}
	body, err = b.keep.StoreReport(ctx, site.ID, key, buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("public report of %s: %w", site.Domain, err)
	}
	return body, nil
}

// reportKey names a stored report: the share's slug and parameters, the
// period and the format.
func reportKey(sh account.Share, pol Policy, per Period, format string) string {
	return fmt.Sprintf("%s|k=%d|n=%d|e=%s|%s.%s", sh.Slug, pol.MinVisitors, pol.Round,
		strconv.FormatFloat(pol.Epsilon, 'g', -1, 64), per.Name, format)
}
