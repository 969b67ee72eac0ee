package aggregate_test

import (
	"strconv"
	"strings"
	"testing"

	"tally/aggregate"
)

// TestStoredCodes pins every code that reaches a disk: the stores' column
// names for dimensions and unique counters (and rollups' dim values), and
// the dimension numbers by which spill files index a cell's key. Appending
// a dimension or a counter adds lines here; changing one is a migration.
func TestStoredCodes(t *testing.T) {
	dims := "0 hostname, 1 page, 2 event, 3 source, 4 referrer, 5 utm_source, 6 utm_medium, 7 utm_campaign, " +
		"8 utm_content, 9 utm_term, 10 entry_page, 11 exit_page, 12 country, 13 region, 14 browser, " +
		"15 browser_version, 16 os, 17 os_version, 18 device, 19 language"
	var got []string
	for d := aggregate.Dim(0); int(d) < aggregate.NumDims; d++ {
		got = append(got, strconv.Itoa(int(d))+" "+d.Column())
	}
	if g := strings.Join(got, ", "); g != dims {
		t.Errorf("dimension codes changed:\n got %s\nwant %s", g, dims)
	}
	uniques := "visitors v_hostname v_page v_event v_source v_referrer v_utm_source v_utm_medium v_utm_campaign " +
		"v_utm_content v_utm_term v_entry_page v_exit_page v_country v_region v_browser v_browser_version v_os " +
		"v_os_version v_device v_language v_page_source v_page_referrer v_page_utm_source v_page_utm_medium " +
		"v_page_utm_campaign v_page_utm_content v_page_utm_term v_page_entry_page v_event_source v_event_referrer " +
		"v_event_utm_source v_event_utm_medium v_event_utm_campaign v_event_utm_content v_event_utm_term v_event_entry_page v_hour"
	if g := strings.Join(aggregate.UniqueColumns(), " "); g != uniques {
		t.Errorf("unique counter columns changed:\n got %s\nwant %s", g, uniques)
	}
	if aggregate.UniqueOf(aggregate.Page) != 2 || aggregate.UniqueOf(aggregate.Language) != 20 || aggregate.NumUniques != 38 {
		t.Errorf("unique counter numbers changed: page %d, language %d, %d in all",
			aggregate.UniqueOf(aggregate.Page), aggregate.UniqueOf(aggregate.Language), aggregate.NumUniques)
	}
}
