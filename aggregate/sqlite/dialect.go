package sqlite

import (
	"database/sql/driver"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"modernc.org/sqlite"

	"tally/aggregate"
)

// dialect renders compiled queries for SQLite. Hours are Unix seconds.
type dialect struct{}

var _ aggregate.Dialect = dialect{}

func (dialect) Instant(param string) string { return param }
func (dialect) Seconds(col string) string   { return col }
func (dialect) If(cond, then, els string) string {
	return "CASE WHEN " + cond + " THEN " + then + " ELSE " + els + " END"
}
func (dialect) IntDiv(a, b string) string { return "(" + a + " / " + b + ")" }
func (dialect) ToInt(x string) string     { return "CAST(" + x + " AS INTEGER)" }
func (dialect) Month(secs string) string {
	return "CAST(strftime('%Y%m', " + secs + ", 'unixepoch') AS INTEGER)"
}
func (dialect) Rollups(int64) bool { return true }

// Contains folds case as Go does. An ASCII needle needs no Go call per row:
// SQLite's lower() folds ASCII, and a Unicode letter's lower case is ASCII
// only for a few rare signs (the Kelvin sign's is k).
func (dialect) Contains(col, param string, ascii bool) string {
	if ascii {
		return "instr(lower(" + col + "), lower(" + param + ")) > 0"
	}
	return "tally_contains(" + col + ", " + param + ")"
}
func (dialect) Matches(col, param string) string { return "tally_matches(" + col + ", " + param + ")" }
func (dialect) Sum(col string) string            { return "coalesce(sum(" + col + "), 0)" }
func (dialect) Limit(limit, offset int) string {
	if limit <= 0 {
		limit = -1
	}
	return fmt.Sprintf(" LIMIT %d OFFSET %d", limit, offset)
}

// The filters' functions, in Go, so they mean what they mean on every
// store: contains folds case as Go does (Unicode), matches is RE2.
func init() {
	sqlite.MustRegisterDeterministicScalarFunction("tally_contains", 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		h, _ := args[0].(string)
		n, _ := args[1].(string)
		return strings.Contains(strings.ToLower(h), strings.ToLower(n)), nil
	})
	sqlite.MustRegisterDeterministicScalarFunction("tally_matches", 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		v, _ := args[0].(string)
		p, _ := args[1].(string)
		re, err := patterns.get(p)
		if err != nil {
			return nil, err
		}
		return re.MatchString(v), nil
	})
}

// patterns caches compiled patterns: a query calls tally_matches once a row.
var patterns = patternCache{m: map[string]*regexp.Regexp{}}

type patternCache struct {
	mu sync.Mutex
	m  map[string]*regexp.Regexp
}

func (c *patternCache) get(p string) (*regexp.Regexp, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if re := c.m[p]; re != nil {
		return re, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	if len(c.m) >= 1024 {
		clear(c.m) // bounded: patterns come from queries
	}
	c.m[p] = re
	return re, nil
}
