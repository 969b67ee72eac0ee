package public

import (
	"crypto/rand"
	"math"
	mrand "math/rand/v2"
	"testing"
)

// TestGeometricDistribution checks the mechanism's shape on a seeded
// stream: P(k)/P(k+1) = e^ε for k ≥ 0, symmetry, mean 0 and variance
// 2α/(1−α)² with α = e^−ε.
func TestGeometricDistribution(t *testing.T) {
	for _, eps := range []float64{0.5, 1, 2} {
		src := mrand.NewChaCha8([32]byte{byte(eps * 10), 6})
		const n = 400_000
		hist := map[int64]int{}
		var sum, sumSq float64
		for range n {
			k, err := Geometric(eps, src)
			if err != nil {
				t.Fatal(err)
			}
			hist[k]++
			sum += float64(k)
			sumSq += float64(k) * float64(k)
		}
		alpha := math.Exp(-eps)
		for k := int64(0); k < 3; k++ {
			if hist[k+1] < 1000 {
				break // too few samples for a ratio worth testing
			}
			ratio := float64(hist[k]) / float64(hist[k+1])
			if math.Abs(math.Log(ratio)-eps) > 0.05 {
				t.Errorf("ε=%v: P(%d)/P(%d) = %.3f, want e^ε = %.3f", eps, k, k+1, ratio, math.Exp(eps))
			}
			sym := float64(hist[k+1]) / float64(hist[-(k+1)])
			if math.Abs(sym-1) > 0.05 {
				t.Errorf("ε=%v: P(%d)/P(%d) = %.3f, want 1", eps, k+1, -(k + 1), sym)
			}
		}
		p0 := float64(hist[0]) / n
		if want := (1 - alpha) / (1 + alpha); math.Abs(p0-want) > 0.005 {
			t.Errorf("ε=%v: P(0) = %.4f, want %.4f", eps, p0, want)
		}
		mean := sum / n
		variance := sumSq/n - mean*mean
		wantVar := 2 * alpha / ((1 - alpha) * (1 - alpha))
		if math.Abs(mean) > 0.05*math.Sqrt(wantVar) {
			t.Errorf("ε=%v: mean %.4f, want 0", eps, mean)
		}
		if math.Abs(variance/wantVar-1) > 0.03 {
			t.Errorf("ε=%v: variance %.3f, want %.3f", eps, variance, wantVar)
		}
	}
}

// TestGeometricSeeded: the same stream gives the same draws, and a bad ε
// is refused rather than silently publishing exact counts.
func TestGeometricSeeded(t *testing.T) {
	a, b := mrand.NewChaCha8([32]byte{1}), mrand.NewChaCha8([32]byte{1})
	for range 100 {
		x, _ := Geometric(1, a)
		y, _ := Geometric(1, b)
		if x != y {
			t.Fatal("the same seed gave different draws")
		}
	}
	for _, eps := range []float64{0, -1, math.Inf(1), math.NaN()} {
		if _, err := Geometric(eps, rand.Reader); err == nil {
			t.Errorf("Geometric(%v) did not fail", eps)
		}
	}
}

// TestPublishedCountsUnseeded runs the real path with crypto/rand: every
// published count is a non-negative multiple of the unit, also for zero
// and tiny true values where noise pushes below zero.
func TestPublishedCountsUnseeded(t *testing.T) {
	for _, unit := range []int64{1, 5} {
		pub := publisher{noise: NewNoise(0.1, mustSecret(t)), unit: unit}
		negatives := 0
		for i := range 5000 {
			v := int64(i % 3)
			got, err := pub.count(string(rune(i)), v)
			if err != nil {
				t.Fatal(err)
			}
			if got < 0 || got%unit != 0 {
				t.Fatalf("published %d for true %d (unit %d)", got, v, unit)
			}
			raw, err := Geometric(0.1, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			if v+raw < 0 {
				negatives++
			}
		}
		if negatives == 0 {
			t.Error("noise never went below zero: the clamp was not exercised")
		}
	}
}

// TestNoiseIsStable: asking again for the same labelled count gives the
// same noise, so reloading a report cannot average it away; another label
// or another secret gives independent noise.
func TestNoiseIsStable(t *testing.T) {
	secret := mustSecret(t)
	n1, n2 := NewNoise(0.5, secret), NewNoise(0.5, secret)
	differs := 0
	for i := range 200 {
		label := string(rune('a' + i))
		x, _ := n1.Draw(label)
		y, _ := n2.Draw(label)
		if x != y {
			t.Fatalf("label %q: noise %d then %d", label, x, y)
		}
		z, _ := NewNoise(0.5, mustSecret(t)).Draw(label)
		if z != x {
			differs++
		}
	}
	if differs < 100 {
		t.Errorf("a fresh secret changed the noise of only %d of 200 labels", differs)
	}
	if d, _ := NewNoise(0, secret).Draw("x"); d != 0 {
		t.Errorf("ε = 0 drew noise %d", d)
	}
}
