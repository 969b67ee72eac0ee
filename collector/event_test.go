package collector

import (
	"strings"
	"testing"
)

func TestParseEvent(t *testing.T) {
	tests := []struct {
		name, body string
		want       Event
		err        string
	}{
		{name: "short keys", body: `{"n":"pageview","u":"https://example.com/","d":"example.com","r":"https://google.com/","w":1280}`,
			want: Event{Name: "pageview", URL: "https://example.com/", Domains: []string{"example.com"}, Referrer: "https://google.com/", ScreenWidth: 1280}},
		{name: "long keys", body: `{"name":"Signup","url":"https://example.com/","domain":"Example.com","referrer":null,"screen_width":390,"props":{"plan":"pro","seats":3,"trial":true}}`,
			want: Event{Name: "Signup", URL: "https://example.com/", Domains: []string{"example.com"}, ScreenWidth: 390, Props: map[string]string{"plan": "pro", "seats": "3", "trial": "true"}}},
		{name: "props as a JSON string", body: `{"n":"x","u":"https://e.com/","d":"e.com","p":"{\"a\":\"b\"}"}`,
			want: Event{Name: "x", URL: "https://e.com/", Domains: []string{"e.com"}, Props: map[string]string{"a": "b"}}},
		{name: "several domains", body: `{"n":"pageview","u":"https://e.com/","d":"e.com, other.org"}`,
			want: Event{Name: "pageview", URL: "https://e.com/", Domains: []string{"e.com", "other.org"}}},
		{name: "hash mode", body: `{"n":"pageview","u":"https://e.com/#/x","d":"e.com","h":1}`,
			want: Event{Name: "pageview", URL: "https://e.com/#/x", Domains: []string{"e.com"}, HashMode: true}},
		{name: "malformed", body: `{"n":`, err: "malformed JSON"},
		{name: "not an object", body: `[1,2]`, err: "malformed JSON"},
		{name: "trailing data", body: `{"n":"a","u":"https://e.com","d":"e.com"} {}`, err: "malformed JSON"},
		{name: "empty", body: ``, err: "malformed JSON"},
		{name: "no name", body: `{"u":"https://e.com/","d":"e.com"}`, err: "missing event name"},
		{name: "no url", body: `{"n":"pageview","d":"e.com"}`, err: "missing url"},
		{name: "no domain", body: `{"n":"pageview","u":"https://e.com/"}`, err: "missing domain"},
		{name: "name too long", body: `{"n":"` + strings.Repeat("a", 200) + `","u":"https://e.com/","d":"e.com"}`, err: "event name longer"},
		{name: "absurd width", body: `{"n":"pageview","u":"https://e.com/","d":"e.com","w":1e12}`, err: "screen_width out of range"},
		{name: "negative width", body: `{"n":"pageview","u":"https://e.com/","d":"e.com","w":-1}`, err: "screen_width out of range"},
		{name: "width just past the range", body: `{"n":"pageview","u":"https://e.com/","d":"e.com","w":100001}`, err: "screen_width out of range"},
		{name: "width with a leading zero", body: `{"n":"pageview","u":"https://e.com/","d":"e.com","w":0123}`, err: "malformed JSON"},
		{name: "width as a decimal", body: `{"n":"pageview","u":"https://e.com/","d":"e.com","w":1280.5}`,
			want: Event{Name: "pageview", URL: "https://e.com/", Domains: []string{"e.com"}, ScreenWidth: 1280}},
		{name: "width zero", body: `{"n":"pageview","u":"https://e.com/","d":"e.com","w":0}`,
			want: Event{Name: "pageview", URL: "https://e.com/", Domains: []string{"e.com"}}},
		{name: "width not a number", body: `{"n":"pageview","u":"https://e.com/","d":"e.com","w":"wide"}`, err: "screen_width must be a number"},
		{name: "nested props", body: `{"n":"x","u":"https://e.com/","d":"e.com","p":{"a":{"b":1}}}`, err: "must be a string"},
		{name: "too many props", body: `{"n":"x","u":"https://e.com/","d":"e.com","p":{` + manyProps(40) + `}}`, err: "more than 30 props"},
		{name: "invalid UTF-8", body: "{\"n\":\"pageview\",\"u\":\"https://e.com/\xff\",\"d\":\"e.com\"}", err: "not valid UTF-8"},
		{name: "oversized", body: `{"n":"x","u":"https://e.com/","d":"e.com","p":{"a":"` + strings.Repeat("x", MaxBody) + `"}}`, err: "body larger"},
		{name: "deep JSON", body: strings.Repeat("[", 5000) + strings.Repeat("]", 5000), err: "malformed JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEvent([]byte(tt.body))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != tt.want.Name || got.URL != tt.want.URL || strings.Join(got.Domains, ",") != strings.Join(tt.want.Domains, ",") ||
				got.Referrer != tt.want.Referrer || got.ScreenWidth != tt.want.ScreenWidth || got.HashMode != tt.want.HashMode || len(got.Props) != len(tt.want.Props) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for k, v := range tt.want.Props {
				if got.Props[k] != v {
					t.Errorf("prop %s = %q, want %q", k, got.Props[k], v)
				}
			}
		})
	}
}

func manyProps(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + strings.Repeat("x", i) + `":"v"`)
	}
	return b.String()
}

// FuzzParseEvent checks that no input panics, and that what parses is
// within the documented limits.
func FuzzParseEvent(f *testing.F) {
	for _, s := range []string{
		`{"n":"pageview","u":"https://example.com/a?b=c","d":"example.com","r":"https://google.com/","w":1280}`,
		`{"name":"Signup","url":"https://e.com/","domain":"e.com","props":{"plan":"pro"},"hashMode":true}`,
		`{"n":"x","u":"https://e.com/","d":"e.com","p":"{\"a\":1}"}`,
		`{"n":`, `[]`, `null`, `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ParseEvent(body)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if ev.Name == "" || len(ev.Name) > maxName || ev.URL == "" || len(ev.Domains) == 0 || len(ev.Domains) > maxDomains {
			t.Fatalf("accepted out-of-limit event %+v", ev)
		}
		if ev.ScreenWidth < 0 || ev.ScreenWidth > maxScreenWidth || len(ev.Props) > maxProps {
			t.Fatalf("accepted out-of-limit event %+v", ev)
		}
	})
}

// FuzzParsePage checks the URL normaliser never panics and never keeps a
// query string or control characters.
func FuzzParsePage(f *testing.F) {
	for _, s := range []string{"https://e.com/a?b=c#d", "http://E.COM./x/", "https://e.com/%zz", "https://[::1]:80/"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, raw string, hash bool) {
		p, err := ParsePage(raw, hash)
		if err != nil {
			return
		}
		for _, v := range []string{p.Host, p.Path, p.UTM.Source, p.UTM.Medium, p.UTM.Campaign, p.Ref} {
			if strings.ContainsAny(v, "\x00\x1f\n") || len(v) > maxValue {
				t.Fatalf("unsafe value %q from %q", v, raw)
			}
		}
		if p.Path == "" {
			t.Fatalf("empty path from %q", raw)
		}
	})
}
