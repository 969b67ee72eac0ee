package dashboard

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"tally/aggregate"
	"tally/internal/locale"
)

// formatMetric shows a metric as people read it: counts with thousands
// separators, the bounce rate in percent, durations in minutes and seconds.
func formatMetric(m aggregate.Metric, v float64) string {
	switch m {
	case aggregate.BounceRate, aggregate.ScrollDepth:
		return strconv.FormatFloat(v, 'f', 0, 64) + "%"
	case aggregate.ConversionRate, aggregate.GroupConversionRate:
		return strconv.FormatFloat(v, 'f', -1, 64) + "%"
	case aggregate.VisitDuration, aggregate.TimeOnPage:
		return formatDuration(v)
	case aggregate.ViewsPerVisit:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case aggregate.Percentage:
		return strconv.FormatFloat(v, 'f', 1, 64) + "%"
	}
	return formatCount(v)
}

// formatCount writes 12345 as "12,345".
func formatCount(v float64) string {
	s := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func formatDuration(sec float64) string {
	s := int(math.Round(sec))
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm %02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh %02dm", s/3600, s%3600/60)
}

// change is the relative change from prev to cur, and whether it is good
// news; lowerGood flips the judgement (bounce rate).
func change(cur, prev float64, lowerGood bool) (text, class string) {
	if prev == 0 {
		return "—", ""
	}
	pct := math.Round(100 * (cur - prev) / prev)
	switch {
	case pct > 0:
		text, class = "↑ "+strconv.FormatFloat(pct, 'f', 0, 64)+"%", "good"
	case pct < 0:
		text, class = "↓ "+strconv.FormatFloat(-pct, 'f', 0, 64)+"%", "bad"
	default:
		return "0%", ""
	}
	if lowerGood {
		if class == "good" {
			class = "bad"
		} else {
			class = "good"
		}
	}
	return text, class
}

// showValue is how the dashboard shows a stored value: countries and
// languages by name (a country with its flag), regions with their
// country's flag. Links and CSV keep the stored codes.
func showValue(d aggregate.Dim, v string) string {
	switch d {
	case aggregate.Country:
		if n := locale.CountryName(v); n != "" {
			return locale.Flag(v) + " " + n
		}
	case aggregate.Region:
		if country, _, ok := strings.Cut(v, "-"); ok && locale.Flag(country) != "" {
			if n := locale.RegionName(v); n != "" {
				return locale.Flag(country) + " " + n
			}
			return locale.Flag(country) + " " + v
		}
	case aggregate.Language:
		if n := locale.LanguageName(v); n != "" {
			return n
		}
	}
	return v
}
