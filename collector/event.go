package collector

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"tally/aggregate"
)

// Limits on what a tracker may send; anything larger is rejected with a 400.
const (
	MaxBody        = 16 << 10
	maxName        = 120
	maxURL         = 2048
	maxDomains     = 10
	maxProps       = 30
	maxPropKey     = 300
	maxPropValue   = 2000
	maxScreenWidth = 100_000
)

// Event is a parsed, validated event payload in Plausible's format.
type Event struct {
	Name        string
	URL         string
	Domains     []string // data-domain may list several sites
	Referrer    string
	ScreenWidth int
	Props       map[string]string
	HashMode    bool
	Language    string // tally's optional "l": navigator.language
	// An engagement event (Name "engagement", Plausible's current script
	// and tally's): the deepest scroll of the page view so far, 0–100 (-1
	// when not sent), and the engaged time since the previous report, ms.
	ScrollDepth int
	Engaged     int64
}

// rawEvent accepts both Plausible's long and short keys.
// Plain string fields (not pointers) keep decoding allocation-light; an
// empty value counts as absent.
type rawEvent struct {
	Name        string          `json:"name"`
	N           string          `json:"n"`
	URL         string          `json:"url"`
	U           string          `json:"u"`
	Domain      string          `json:"domain"`
	D           string          `json:"d"`
	Referrer    string          `json:"referrer"`
	R           string          `json:"r"`
	ScreenWidth json.RawMessage `json:"screen_width"`
	W           json.RawMessage `json:"w"`
	Props       json.RawMessage `json:"props"`
	P           json.RawMessage `json:"p"`
	HashMode    json.RawMessage `json:"hashMode"`
	H           json.RawMessage `json:"h"`
	L           string          `json:"l"`
	SD          json.RawMessage `json:"sd"`
	E           json.RawMessage `json:"e"`
}

// ParseEvent parses and validates a request body. Its errors are one-line
// reasons fit to show the sender.
func ParseEvent(body []byte) (Event, error) {
	var ev Event
	if len(body) > MaxBody {
		return ev, fmt.Errorf("body larger than %d bytes", MaxBody)
	}
	if !utf8.Valid(body) {
		return ev, errors.New("body is not valid UTF-8")
	}
	var raw rawEvent
	if !decodeFlat(body, &raw) {
		// A variable of its own, so that raw, which the common path fills,
		// stays on the stack: json.Unmarshal makes what it is given escape.
		var slow rawEvent
		if err := json.Unmarshal(body, &slow); err != nil {
			return ev, fmt.Errorf("malformed JSON: %s", jsonReason(err))
		}
		raw = slow
	}
	ev.Name = strings.TrimSpace(first(raw.Name, raw.N))
	ev.URL = strings.TrimSpace(first(raw.URL, raw.U))
	domains := first(raw.Domain, raw.D)
	ev.Referrer = strings.TrimSpace(first(raw.Referrer, raw.R))
	ev.Language = raw.L
	switch {
	case ev.Name == "":
		return ev, errors.New("missing event name (name or n)")
	case len(ev.Name) > maxName:
		return ev, fmt.Errorf("event name longer than %d bytes", maxName)
	case ev.URL == "":
		return ev, errors.New("missing url (url or u)")
	case len(ev.URL) > maxURL:
		return ev, fmt.Errorf("url longer than %d bytes", maxURL)
	case strings.TrimSpace(domains) == "":
		return ev, errors.New("missing domain (domain or d)")
	case len(ev.Referrer) > maxURL:
		ev.Referrer = "" // an oversized referrer is not worth rejecting the hit
	}
	for rest, more := domains, true; more; {
		var d string
		d, rest, more = strings.Cut(rest, ",")
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			ev.Domains = append(ev.Domains, d)
		}
	}
	if len(ev.Domains) > maxDomains {
		return ev, fmt.Errorf("more than %d domains", maxDomains)
	}
	var err error
	if ev.ScreenWidth, err = parseWidth(firstRaw(raw.ScreenWidth, raw.W)); err != nil {
		return ev, err
	}
	if ev.HashMode, err = parseFlag(firstRaw(raw.HashMode, raw.H)); err != nil {
		return ev, err
	}
	if ev.Props, err = parseProps(firstRaw(raw.Props, raw.P)); err != nil {
		return ev, err
	}
	ev.ScrollDepth = -1
	if ev.Name == EngagementEvent {
		if ev.ScrollDepth, ev.Engaged, err = parseEngagement(raw.SD, raw.E); err != nil {
			return ev, err
		}
	}
	return ev, nil
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func firstRaw(a, b json.RawMessage) json.RawMessage {
	if len(a) > 0 && string(a) != "null" {
		return a
	}
	if string(b) == "null" {
		return nil
	}
	return b
}

func parseWidth(raw json.RawMessage) (int, error) {
	if len(raw) == 0 {
		return 0, nil
	}
	// The common body sends a few plain digits; json.Unmarshal into a
	// float costs as much as the rest of the event.
	if n, ok := smallUint(raw); ok {
		if n > maxScreenWidth {
			return 0, fmt.Errorf("screen_width out of range 0–%d", maxScreenWidth)
		}
		return n, nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return 0, errors.New("screen_width must be a number")
	}
	if f < 0 || f > maxScreenWidth {
		return 0, fmt.Errorf("screen_width out of range 0–%d", maxScreenWidth)
	}
	return int(f), nil
}

// smallUint parses up to six decimal digits with no sign, point or
// exponent; ok is false for anything else, a leading zero included (JSON
// allows "0" but not "012").
func smallUint(b []byte) (n int, ok bool) {
	if len(b) == 0 || len(b) > 6 || (b[0] == '0' && len(b) > 1) {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func parseFlag(raw json.RawMessage) (bool, error) {
	switch string(raw) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, errors.New("hashMode must be a boolean or 0/1")
}

// EngagementEvent is the name of an engagement report.
const EngagementEvent = aggregate.EngagementEvent

// maxEngaged bounds one report's engaged time: a visit ends after 30
// minutes without a hit, and a tab left open reports no more than that.
const maxEngaged = 30 * 60 * 1000

// parseEngagement reads sd (a number, clamped to 0–100; -1 when absent)
// and e (milliseconds, clamped to 0–maxEngaged).
func parseEngagement(sd, e json.RawMessage) (int, int64, error) {
	depth, ms := -1, int64(0)
	if len(sd) > 0 && string(sd) != "null" {
		var f float64
		if err := json.Unmarshal(sd, &f); err != nil {
			return 0, 0, errors.New("sd must be a number")
		}
		depth = int(min(max(f, 0), 100) + 0.5)
	}
	if len(e) > 0 && string(e) != "null" {
		var f float64
		if err := json.Unmarshal(e, &f); err != nil {
			return 0, 0, errors.New("e must be a number")
		}
		ms = int64(min(max(f, 0), maxEngaged))
	}
	return depth, ms, nil
}

// parseProps accepts an object of scalars, or (older trackers) a string
// holding one.
func parseProps(raw json.RawMessage) (map[string]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			return nil, nil
		}
		raw = json.RawMessage(s)
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, errors.New("props must be an object")
	}
	if len(obj) > maxProps {
		return nil, fmt.Errorf("more than %d props", maxProps)
	}
	out := make(map[string]string, len(obj))
	for k, v := range obj {
		if k == "" || len(k) > maxPropKey {
			return nil, fmt.Errorf("prop name empty or longer than %d bytes", maxPropKey)
		}
		var val string
		switch v := v.(type) {
		case string:
			val = v
		case float64, bool:
			b, _ := json.Marshal(v)
			val = string(b)
		case nil:
			continue
		default:
			return nil, fmt.Errorf("prop %q must be a string, number or boolean", k)
		}
		if len(val) > maxPropValue {
			return nil, fmt.Errorf("prop %q longer than %d bytes", k, maxPropValue)
		}
		out[k] = val
	}
	return out, nil
}

// jsonReason shortens decoder errors to one line without echoing input.
func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q has the wrong type", te.Field)
	case err.Error() == "unexpected end of JSON input":
		return "unexpected end of input"
	}
	return "unexpected end of input"
}
