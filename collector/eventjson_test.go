package collector

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestDecodeFlat(t *testing.T) {
	tests := []struct {
		body string
		ok   bool
	}{
		{`{"n":"pageview","u":"https://e.com/a?b=c","d":"e.com","r":null,"w":1280}`, true},
		{` { "name" : "Signup" , "url":"https://e.com/", "domain":"e.com", "screen_width": 390.5, "hashMode": true } `, true},
		{`{"n":"x","u":"https://e.com/","d":"e.com","h":1,"l":"de-DE"}`, true},
		{`{}`, true},
		{`{"n":"caf\u00e9"}`, false},     // escapes: encoding/json decodes
		{`{"n":"x","p":{"a":1}}`, false}, // props
		{`{"N":"x"}`, false},             // other casing
		{`{"n":"x","extra":1}`, false},   // unknown key
		{`{"n":"x",}`, false},            // malformed
		{`{"n":"x"} {}`, false},          // trailing data
		{`{"w":01}`, false},              // not a JSON number
		{`{"w":1.}`, false},              // not a JSON number
		{`{"h":10}`, false},              // not a flag
		{"{\"n\":\"a\tb\"}", false},      // control character
		{`{"n":"x","n":"y"}`, true},      // last wins, as in encoding/json
		{`[1]`, false},
	}
	for _, tt := range tests {
		var fast rawEvent
		if got := decodeFlat([]byte(tt.body), &fast); got != tt.ok {
			t.Errorf("decodeFlat(%s) = %v, want %v", tt.body, got, tt.ok)
			continue
		}
		if tt.ok {
			var slow rawEvent
			if err := json.Unmarshal([]byte(tt.body), &slow); err != nil {
				t.Fatalf("%s: encoding/json: %v", tt.body, err)
			}
			if !sameRaw(fast, slow) {
				t.Errorf("%s: fast %+v, encoding/json %+v", tt.body, fast, slow)
			}
		}
	}
}

// sameRaw compares decoded events, treating a null or absent raw value alike.
func sameRaw(a, b rawEvent) bool {
	for _, p := range []*json.RawMessage{&a.W, &a.ScreenWidth, &a.H, &a.HashMode, &b.W, &b.ScreenWidth, &b.H, &b.HashMode} {
		if string(*p) == "null" || len(*p) == 0 {
			*p = nil
		}
	}
	return reflect.DeepEqual(a, b)
}

// FuzzDecodeFlat: whatever the fast decoder accepts, encoding/json decodes
// to the same event.
func FuzzDecodeFlat(f *testing.F) {
	for _, s := range []string{
		`{"n":"pageview","u":"https://e.com/a","d":"e.com","r":null,"w":1280,"h":0}`,
		`{"name":"x","url":"u","domain":"d","referrer":"r","screen_width":-1e3,"hashMode":false,"l":"en"}`,
		`{}`, `{"w":0.5e+2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast rawEvent
		if !decodeFlat(body, &fast) {
			return
		}
		var slow rawEvent
		if err := json.Unmarshal(body, &slow); err != nil {
			t.Fatalf("fast path accepted %q, encoding/json: %v", body, err)
		}
		if !sameRaw(fast, slow) {
			t.Fatalf("%q: fast %+v, encoding/json %+v", body, fast, slow)
		}
	})
}
