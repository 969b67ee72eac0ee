package storetest

import (
	"fmt"
	"strings"
	"time"

	"tally/aggregate"
)

// StoredRow is one row of a store's aggregate tables, as read back raw:
// values are int64, uint64, float64, string or []byte.
type StoredRow struct {
	Table string
	Cols  []string
	Vals  []any
}

// accountTables hold sites, users and keys: nothing of a visitor.
var accountTables = map[string]bool{"sites": true, "api_keys": true, "users": true, "logins": true,
	"shares": true, "schema_migrations": true, "sqlite_sequence": true}

// Unlinked returns what in rows could tell one visitor from another — the
// link test: empty means every stored value is a dimension value some hit
// carried, a time, a site, a checkpoint's name, or a counter no larger than
// the hits could make. A per-visitor value (a key, a hash or a fragment of
// one, a sketch's registers, a salt) is none of those: it is a binary
// value, a number beyond any count, or a string no hit carried.
func Unlinked(rows []StoredRow, hits []aggregate.Hit) []string {
	values := map[string]bool{"": true, aggregate.NotSet: true, aggregate.NoneSource: true}
	for d := aggregate.Dim(0); int(d) < aggregate.NumDims; d++ {
		values[d.Column()] = true // rollups name their dimension
	}
	var first, last time.Time
	for _, h := range hits {
		for _, v := range h.Key {
			values[v] = true
		}
		for _, p := range h.Props {
			values[p.Key], values[p.Value] = true, true
		}
		if first.IsZero() || h.Time.Before(first) {
			first = h.Time
		}
		if h.Time.After(last) {
			last = h.Time
		}
	}
	maxCount := int64(len(hits))
	maxDuration := int64(last.Sub(first)/time.Second) * maxCount
	var problems []string
	for _, r := range rows {
		if accountTables[r.Table] {
			continue
		}
		for i, v := range r.Vals {
			col := r.Cols[i]
			bad := ""
			switch v := v.(type) {
			case []byte:
				if len(v) > 0 {
					bad = fmt.Sprintf("a binary value of %d bytes", len(v))
				}
			case string:
				switch {
				case col == "instance" || col == "at":
					// a process's random name; the same on all its rows
				case col == "hour" || col == "day":
					if _, err := time.Parse(time.DateTime, v); err != nil {
						if _, err := time.Parse(time.DateOnly, v); err != nil {
							bad = fmt.Sprintf("time %q", v)
						}
					}
				case !values[v]:
					bad = fmt.Sprintf("%q, which no hit carried", v)
				}
			case int64, uint64, float64:
				n := toInt64(v)
				switch col {
				case "site_id", "hour", "day", "seq", "at", "dim":
				case "duration":
					if n < -maxDuration || n > maxDuration {
						bad = fmt.Sprintf("duration %d", n)
					}
				default:
					if n < -maxCount || n > maxCount {
						bad = fmt.Sprintf("%d, more than the %d hits could count", n, maxCount)
					}
				}
			case nil:
			default:
				bad = fmt.Sprintf("a %T", v)
			}
			if bad != "" {
				problems = append(problems, fmt.Sprintf("%s.%s holds %s", r.Table, col, bad))
			}
		}
	}
	return problems
}

func toInt64(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case uint64:
		return int64(v)
	case float64:
		return int64(v)
	}
	return 0
}

// RealisticDay is the hits of the link test: the standard scenario and a
// varied day, on one site.
func RealisticDay(site int64, day time.Time) []aggregate.Hit {
	return append(Standard(site, day.Add(21*time.Hour)), Mixed(site, day)...)
}

// summary shortens a problem list for a failure message.
func summary(problems []string) string {
	if len(problems) > 10 {
		return strings.Join(problems[:10], "\n") + fmt.Sprintf("\n… and %d more", len(problems)-10)
	}
	return strings.Join(problems, "\n")
}

// CheckUnlinked fails t with Unlinked's findings.
func CheckUnlinked(t interface {
	Helper()
	Errorf(string, ...any)
}, rows []StoredRow, hits []aggregate.Hit) {
	t.Helper()
	if p := Unlinked(rows, hits); len(p) > 0 {
		t.Errorf("stored rows hold what could link a visitor's hits:\n%s", summary(p))
	}
}
