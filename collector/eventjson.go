package collector

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// decodeFlat decodes the common shape of an event body — one flat object of
// strings, numbers, booleans and nulls under the known short or long keys —
// without reflection, which was the largest cost of handling an event. It
// reports false for anything else (escapes in strings, props, unknown or
// differently cased keys, malformed input), and the caller then decodes
// with encoding/json, which also words the errors. So whatever decodeFlat
// accepts, encoding/json would decode the same way; a fuzz test checks it.
//
// The string values are copied out of b, which may be the request's reused
// buffer, into one allocation they share.
func decodeFlat(b []byte, raw *rawEvent) bool {
	type span struct {
		field      *string
		start, end int
	}
	var spans [9]span // one per string field at most: a repeated key overwrites
	n, size := 0, 0
	setStrings := func() {
		var all strings.Builder
		all.Grow(size)
		for _, sp := range spans[:n] {
			all.Write(b[sp.start:sp.end])
		}
		s := all.String()
		for _, sp := range spans[:n] {
			*sp.field, s = s[:sp.end-sp.start], s[sp.end-sp.start:]
		}
	}
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipSpace(b, i+1) == len(b)
	}
	for {
		ks, ke, j, ok := plainString(b, i)
		if !ok {
			return false
		}
		key := b[ks:ke]
		i = skipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		if i >= len(b) {
			return false
		}
		switch string(key) {
		case "n", "name", "u", "url", "d", "domain", "r", "referrer", "l":
			// null leaves the field as it was, as encoding/json does.
			if j, ok = literal(b, i, "null"); !ok {
				var vs, ve int
				if vs, ve, j, ok = plainString(b, i); !ok {
					return false
				}
				f := stringField(raw, key)
				for k := range spans[:n] { // a repeated key: the last one counts
					if spans[k].field == f {
						size -= spans[k].end - spans[k].start
						spans[k] = spans[n-1]
						n--
						break
					}
				}
				spans[n] = span{f, vs, ve}
				n++
				size += ve - vs
			}
		case "w", "screen_width":
			if j, ok = literal(b, i, "null"); ok {
				*rawField(raw, key) = nil
			} else if j, ok = number(b, i); ok {
				*rawField(raw, key) = json.RawMessage(b[i:j])
			} else {
				return false
			}
		case "h", "hashMode":
			j = -1
			for _, lit := range []string{"true", "false", "null", "0", "1"} {
				if k, ok := literal(b, i, lit); ok && (k == len(b) || !isNumberByte(b[k])) {
					j = k
					break
				}
			}
			if j < 0 {
				return false
			}
			*rawField(raw, key) = json.RawMessage(b[i:j])
			if string(b[i:j]) == "null" {
				*rawField(raw, key) = nil
			}
		default:
			return false // props, unknown keys, other casings: encoding/json decides
		}
		i = skipSpace(b, j)
		if i >= len(b) {
			return false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			if skipSpace(b, i+1) != len(b) {
				return false
			}
			setStrings()
			return true
		default:
			return false
		}
	}
}

func stringField(raw *rawEvent, key []byte) *string {
	switch string(key) {
	case "n":
		return &raw.N
	case "name":
		return &raw.Name
	case "u":
		return &raw.U
	case "url":
		return &raw.URL
	case "d":
		return &raw.D
	case "domain":
		return &raw.Domain
	case "r":
		return &raw.R
	case "referrer":
		return &raw.Referrer
	}
	return &raw.L
}

func rawField(raw *rawEvent, key []byte) *json.RawMessage {
	switch string(key) {
	case "w":
		return &raw.W
	case "screen_width":
		return &raw.ScreenWidth
	case "h":
		return &raw.H
	}
	return &raw.HashMode
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainString reads a JSON string of valid UTF-8 without escapes or control
// characters and returns where its contents start and end in b and the
// index after its closing quote.
// (encoding/json would replace invalid UTF-8; ParseEvent rejects it first,
// but this decoder does not rely on that.)
func plainString(b []byte, i int) (start, end, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, 0, i, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			if !utf8.Valid(b[i+1 : j]) {
				return 0, 0, j, false
			}
			return i + 1, j, j + 1, true
		case c == '\\' || c < 0x20:
			return 0, 0, j, false
		}
	}
	return 0, 0, len(b), false
}

func literal(b []byte, i int, lit string) (int, bool) {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit), true
	}
	return i, false
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func number(b []byte, i int) (int, bool) {
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && b[j] >= '1' && b[j] <= '9':
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
	default:
		return i, false
	}
	if j < len(b) && b[j] == '.' {
		k := j + 1
		for k < len(b) && b[k] >= '0' && b[k] <= '9' {
			k++
		}
		if k == j+1 {
			return i, false
		}
		j = k
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		k := j + 1
		if k < len(b) && (b[k] == '+' || b[k] == '-') {
			k++
		}
		d := k
		for k < len(b) && b[k] >= '0' && b[k] <= '9' {
			k++
		}
		if k == d {
			return i, false
		}
		j = k
	}
	if j < len(b) && isNumberByte(b[j]) {
		return i, false
	}
	return j, true
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}
