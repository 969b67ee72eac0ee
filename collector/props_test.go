package collector

import (
	"reflect"
	"strings"
	"testing"

	"tally/aggregate"
)

func TestProps(t *testing.T) {
	for _, c := range []struct {
		name    string
		in      map[string]string
		want    []aggregate.Prop
		dropped int
	}{
		{"none", nil, nil, 0},
		{"plain, sorted by key", map[string]string{"plan": "pro", "author": "Ana"},
			[]aggregate.Prop{{Key: "author", Value: "Ana"}, {Key: "plan", Value: "pro"}}, 0},
		{"outbound link: query and fragment dropped", map[string]string{"url": "https://Partner.example/offer?ref=abc&email=x#top"},
			[]aggregate.Prop{{Key: "url", Value: "https://partner.example/offer"}}, 0},
		{"file download keeps the file's path", map[string]string{"url": "https://example.com/files/guide.pdf"},
			[]aggregate.Prop{{Key: "url", Value: "https://example.com/files/guide.pdf"}}, 0},
		{"404 path redacted like a page", map[string]string{"path": "/reset-password/s3cr3tT0ken?x=1"},
			[]aggregate.Prop{{Key: "path", Value: "/reset-password/:id"}}, 0},
		{"e-mail dropped and counted", map[string]string{"who": "ana@example.com", "plan": "pro"},
			[]aggregate.Prop{{Key: "plan", Value: "pro"}}, 1},
		{"a key like an e-mail address dropped and counted", map[string]string{"bob@example.org": "yes", "plan": "pro"},
			[]aggregate.Prop{{Key: "plan", Value: "pro"}}, 1},
		{"tokens and key=value tails redacted", map[string]string{"order": "A1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6", "q": "x?session=42"},
			[]aggregate.Prop{{Key: "order", Value: ":token"}, {Key: "q", Value: "x/:params"}}, 0},
		{"control characters stripped, empty skipped", map[string]string{"a\x1fb\x00": "v\x1f\nw", "empty": " "},
			[]aggregate.Prop{{Key: "ab", Value: "vw"}}, 0},
		{"markup kept as text (escaped where shown)", map[string]string{"<b>": "<script>alert(1)</script>"},
			[]aggregate.Prop{{Key: "<b>", Value: "<script>alert(1)</script>"}}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, dropped := Props(c.in)
			if !reflect.DeepEqual(got, c.want) || dropped != c.dropped {
				t.Errorf("Props(%q) = %q, %d; want %q, %d", c.in, got, dropped, c.want, c.dropped)
			}
		})
	}
	long, _ := Props(map[string]string{strings.Repeat("k", 300): strings.Repeat("é", 1000)})
	if len(long) != 1 || len(long[0].Key) != maxStoredPropKey || len(long[0].Value) > maxStoredPropValue || !strings.HasPrefix(long[0].Value, "éé") {
		t.Errorf("long property = %q: want cut to %d and %d bytes on a character boundary", long, maxStoredPropKey, maxStoredPropValue)
	}
}
