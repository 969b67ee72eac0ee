package storetest

import (
	"fmt"
	"testing"
	"time"

	"tally/aggregate"
)

// stored reads every cell of a site in [from, to), copying them.
func stored(t *testing.T, st aggregate.Store, site int64, from, to time.Time) []aggregate.Cell {
	t.Helper()
	var out []aggregate.Cell
	err := st.ReadCells(bg, site, from, to, func(c *aggregate.Cell) error {
		cp := *c
		cp.Sketch = c.Sketch.Clone()
		out = append(out, cp)
		return nil
	})
	if err != nil {
		t.Fatalf("read cells: %v", err)
	}
	return out
}

func sketchOf(keys ...uint64) *aggregate.Sketch {
	s := aggregate.NewSketch()
	for _, k := range keys {
		s.Insert(k)
	}
	return s
}

func testCells(t *testing.T, st aggregate.Store) {
	site := ok(st.AddSite(bg, aggregate.Site{Domain: "cells.example", Timezone: "UTC"}))(t)
	h := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	var full aggregate.Key
	for i := range full {
		full[i] = "välue-" + aggregate.Dim(i).String() // every dimension, non-ASCII
	}
	var home aggregate.Key
	home[aggregate.Page] = "/"
	c1 := aggregate.Cell{Instance: "i1", Site: site.ID, Hour: h, Key: home,
		Counters: aggregate.Counters{Pageviews: 3, Events: 4, Visits: 2, Bounces: 1, Duration: 90, Exits: 0},
		Sketch:   sketchOf(11, 22)}
	if err := st.WriteCells(bg, []aggregate.Cell{c1}); err != nil {
		t.Fatal(err)
	}
	got := stored(t, st, site.ID, h, h.Add(time.Hour))
	if len(got) != 1 {
		t.Fatalf("read %d cells, want 1", len(got))
	}
	if g := got[0]; g.Instance != "i1" || g.Site != site.ID || !g.Hour.Equal(h) || g.Key != home ||
		g.Counters != c1.Counters || g.Sketch.Estimate() != 2 {
		t.Fatalf("cell = %+v (visitors %d), want %+v", g, g.Sketch.Estimate(), c1)
	}

	// A checkpoint replaces the row of the same (instance, site, hour, key).
	c1.Pageviews, c1.Sketch = 5, sketchOf(11, 22, 33)
	c2 := c1
	c2.Instance = "i2" // another instance's row stands beside it
	c3 := aggregate.Cell{Instance: "i1", Site: site.ID, Hour: h.Add(time.Hour), Key: full,
		Counters: aggregate.Counters{Exits: 1}} // no sketch
	orphan := c1
	orphan.Site = 987654321 // no such site: discarded
	if err := st.WriteCells(bg, []aggregate.Cell{c1, c2, c3, orphan}); err != nil {
		t.Fatal(err)
	}
	got = stored(t, st, site.ID, h, h.Add(time.Hour))
	if len(got) != 2 {
		t.Fatalf("after a replacement and another instance's row: %d cells, want 2: %+v", len(got), got)
	}
	for _, g := range got {
		if g.Pageviews != 5 || g.Sketch.Estimate() != 3 {
			t.Fatalf("replaced cell = %+v (visitors %d), want pageviews 5, visitors 3", g, g.Sketch.Estimate())
		}
	}
	got = stored(t, st, site.ID, h.Add(time.Hour), h.Add(2*time.Hour))
	if len(got) != 1 || got[0].Key != full || got[0].Exits != 1 || got[0].Sketch != nil {
		t.Fatalf("cell with every dimension = %+v, want key %q, exits 1, no sketch", got, full)
	}
	if n := len(stored(t, st, site.ID, h.Add(-time.Hour), h.Add(3*time.Hour))); n != 3 {
		t.Fatalf("whole range: %d cells, want 3", n)
	}
	if n := len(stored(t, st, orphan.Site, h, h.Add(time.Hour))); n != 0 {
		t.Fatalf("cells of a missing site were stored: %d", n)
	}
	if err := st.WriteCells(bg, nil); err != nil {
		t.Fatalf("writing no cells: %v", err)
	}

	// A large batch: stores write rows in chunks.
	var batch []aggregate.Cell
	h3 := h.Add(3 * time.Hour)
	for i := range 250 {
		var k aggregate.Key
		k[aggregate.Page] = fmt.Sprintf("/p/%d", i)
		batch = append(batch, aggregate.Cell{Instance: "i1", Site: site.ID, Hour: h3, Key: k,
			Counters: aggregate.Counters{Pageviews: int64(i + 1)}, Sketch: sketchOf(uint64(i + 1))})
	}
	if err := st.WriteCells(bg, batch); err != nil {
		t.Fatal(err)
	}
	got = stored(t, st, site.ID, h3, h3.Add(time.Hour))
	var pageviews, visitors int64
	for _, g := range got {
		pageviews += g.Pageviews
		visitors += g.Sketch.Estimate()
	}
	if len(got) != 250 || pageviews != 31375 || visitors != 250 { // 1+…+250
		t.Fatalf("batch of 250 cells: read %d cells, %d pageviews, %d visitors; want 250, 31375, 250", len(got), pageviews, visitors)
	}
}

func testDropBefore(t *testing.T, st aggregate.Store) {
	site := ok(st.AddSite(bg, aggregate.Site{Domain: "old.example", Timezone: "UTC"}))(t)
	hours := []time.Time{
		time.Date(2026, 9, 15, 12, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC),
	}
	var cells []aggregate.Cell
	for _, h := range hours {
		cells = append(cells, aggregate.Cell{Instance: "i", Site: site.ID, Hour: h, Counters: aggregate.Counters{Pageviews: 1}})
	}
	if err := st.WriteCells(bg, cells); err != nil {
		t.Fatal(err)
	}
	// Whole months: the granularity both stores honour exactly (the
	// ClickHouse store drops monthly partitions; docs/clickhouse.md).
	if err := st.DropBefore(bg, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	got := stored(t, st, site.ID, hours[0], hours[3].Add(time.Hour))
	if len(got) != 2 {
		t.Fatalf("after DropBefore: %d cells, want the 2 of November", len(got))
	}
	for _, c := range got {
		if c.Hour.Before(hours[2]) {
			t.Fatalf("cell of %s survived DropBefore(%s)", c.Hour, hours[2])
		}
	}
}
