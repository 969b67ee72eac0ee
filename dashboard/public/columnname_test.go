package public

import "testing"

func TestColumnName(t *testing.T) {
	for in, want := range map[string]string{
		"os": "OS", "os_version": "OS version", "utm_source": "UTM source", "browser": "Browser",
		"entry_page": "Entry page", "hour_of_day": "Hour of day", "": "",
	} {
		if got := columnName(in); got != want {
			t.Errorf("columnName(%q) = %q, want %q", in, got, want)
		}
	}
}
