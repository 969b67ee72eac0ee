package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// TestCoarseHistogram: 13 observations export as 10, every cumulative
// bucket as a multiple of 10, and the sum scaled to the 10.
func TestCoarseHistogram(t *testing.T) {
	v := newCoarseHistVec("t_seconds", "test", []float64{.001, .01, .1}, "op")
	for i := range 13 {
		d := time.Millisecond / 2
		if i >= 9 {
			d = 50 * time.Millisecond
		}
		v.Observe(d, "x")
	}
	ch := make(chan prometheus.Metric, 1)
	v.Collect(ch)
	var m dto.Metric
	if err := (<-ch).Write(&m); err != nil {
		t.Fatal(err)
	}
	h := m.GetHistogram()
	if h.GetSampleCount() != 10 {
		t.Errorf("count %d, want 10 (13 observed)", h.GetSampleCount())
	}
	want := map[float64]uint64{.001: 0, .01: 0, .1: 10} // 9 → 0, 9 → 0, 13 → 10
	for _, b := range h.GetBucket() {
		if b.GetCumulativeCount() != want[b.GetUpperBound()] {
			t.Errorf("bucket ≤ %v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want[b.GetUpperBound()])
		}
	}
	exact := (9*0.0005 + 4*0.05)
	if got, w := h.GetSampleSum(), exact*10/13; got < w*0.999 || got > w*1.001 {
		t.Errorf("sum %v, want %v (scaled to the exported count)", got, w)
	}
	if coarse(9) != 0 || coarse(10) != 10 || coarse(19) != 10 {
		t.Error("coarse is wrong")
	}
}
