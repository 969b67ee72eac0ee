package dashboard

import (
	"strings"
	"testing"
)

// A series whose only past point is the first bucket (today at 00:xx,
// this month on the 1st) has a one-point line, which draws nothing: its
// point must be marked.
func TestChartMarksSparsePoints(t *testing.T) {
	tests := []struct {
		name        string
		past, total int
		dots        int
	}{
		{"one point of 24", 1, 24, 1},
		{"one point alone", 1, 1, 1},
		{"a week", 7, 7, 7},
		{"a month", 31, 31, 31},
		{"a long series", 90, 90, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Chart{}
			for i := 0; i < tt.total; i++ {
				c.Points = append(c.Points, ChartPoint{Value: float64(i % 5), Future: i >= tt.past})
			}
			c.layout()
			if len(c.Dots) != tt.dots {
				t.Fatalf("%d dots, want %d", len(c.Dots), tt.dots)
			}
			if got := len(strings.Fields(c.Line)); got != tt.past {
				t.Errorf("line of %d points, want %d", got, tt.past)
			}
			for i, d := range c.Dots {
				p := c.Points[i]
				if d.Left != 100*p.X/chartW || d.Bottom < 0 || d.Bottom > 100 {
					t.Errorf("dot %d at %v, point at x=%v y=%v", i, d, p.X, p.Y)
				}
			}
		})
	}
}
