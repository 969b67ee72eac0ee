package clickhouse

import (
	"fmt"

	"tally/aggregate"
)

// dialect renders compiled queries for ClickHouse; everything here runs on
// 18.16 and on current releases. The hour column is a DateTime('UTC').
// rollupsFrom is the first day the store's rollups hold (rollups_start).
type dialect struct{ rollupsFrom int64 }

var _ aggregate.Dialect = dialect{}

// Instant takes Unix seconds: toDateTime of an integer is that instant,
// whatever the server's zone, and compares with the column as such.
func (dialect) Instant(param string) string { return "toDateTime(" + param + ")" }
func (dialect) Seconds(col string) string   { return "toInt64(" + col + ")" }
func (dialect) If(cond, then, els string) string {
	return "if(" + cond + ", " + then + ", " + els + ")"
}
func (dialect) IntDiv(a, b string) string { return "intDiv(" + a + ", " + b + ")" }
func (dialect) ToInt(x string) string     { return "toInt64(" + x + ")" }
func (dialect) Contains(col, param string, _ bool) string {
	return "positionCaseInsensitiveUTF8(" + col + ", " + param + ") > 0"
}
func (d dialect) Rollups(firstDay int64) bool    { return firstDay >= d.rollupsFrom }
func (dialect) Matches(col, param string) string { return "match(" + col + ", " + param + ")" }

// Sum is plain sum: over no rows ClickHouse returns 0, and over the Int64
// counter columns an Int64.
func (dialect) Sum(col string) string { return "sum(" + col + ")" }

// Month reads the local seconds as a UTC DateTime (they are wall-clock
// seconds already) and takes its YYYYMM.
func (dialect) Month(secs string) string {
	return "toYYYYMM(toDateTime(toUInt32(" + secs + "), 'UTC'))"
}

// noLimit stands for "no limit". 18.16 fails a LIMIT whose offset plus
// count overflows a signed 64-bit integer, so it is 2^62, not the maximum.
const noLimit = 1 << 62

// Limit uses "LIMIT offset, count", which every release reads the same.
func (dialect) Limit(limit, offset int) string {
	if limit <= 0 || limit > noLimit {
		limit = noLimit
	}
	offset = min(max(offset, 0), noLimit)
	return fmt.Sprintf(" LIMIT %d, %d", offset, limit)
}
