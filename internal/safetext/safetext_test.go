package safetext

import "testing"

func TestStripControl(t *testing.T) {
	for in, want := range map[string]string{
		"":                  "",
		"plain":             "plain",
		"Foo\x1fBar":        "FooBar",
		"a\x00b\tc\nd\x7fe": "abcde",
		"é\u0085ü":          "éü", // C1 controls too
		"日本語":               "日本語",
	} {
		if got := StripControl(in); got != want {
			t.Errorf("StripControl(%q) = %q, want %q", in, got, want)
		}
	}
}
