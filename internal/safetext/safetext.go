// Package safetext holds the one rule every text a client sends must pass
// before it becomes a dimension value, shared by the collector and the
// user-agent classifier (which the collector imports, so it cannot hold it).
package safetext

import (
	"strings"
	"unicode"
)

// StripControl removes control characters. The aggregator joins a cell's
// values with one (the key separator), and none belongs in a page path, a
// browser's name or anything else shown on the dashboard.
func StripControl(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}
