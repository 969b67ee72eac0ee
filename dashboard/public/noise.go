package public

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
)

// Geometric draws from the two-sided geometric distribution (the discrete
// Laplace mechanism): P(k) ∝ exp(−ε·|k|) for every integer k. It is the
// difference of two independent geometric draws, each found by inverting
// its distribution function on a uniform number read from r.
//
// ε must be positive. r is crypto/rand.Reader in production; tests pass a
// seeded stream to check the distribution.
func Geometric(eps float64, r io.Reader) (int64, error) {
	if !(eps > 0) || math.IsInf(eps, 0) {
		return 0, fmt.Errorf("noise needs a positive, finite epsilon, got %v", eps)
	}
	a, err := oneSided(eps, r)
	if err != nil {
		return 0, err
	}
	b, err := oneSided(eps, r)
	if err != nil {
		return 0, err
	}
	return a - b, nil
}

// oneSided draws k ≥ 0 with P(k) = (1−α)·α^k, α = e^−ε.
func oneSided(eps float64, r io.Reader) (int64, error) {
	var buf [8]byte
	if _, err := io.ReadFull(r, buf[:]); err != nil {
		return 0, fmt.Errorf("read randomness: %w", err)
	}
	// A uniform number in (0, 1]: 53 random bits, never zero.
	u := (float64(binary.BigEndian.Uint64(buf[:])>>11) + 1) / (1 << 53)
	// P(K ≥ k) = α^k, so K = ⌊ln u / ln α⌋ = ⌊−ln u / ε⌋.
	k := math.Floor(-math.Log(u) / eps)
	if k > 1<<40 {
		k = 1 << 40 // only reachable for absurdly small ε
	}
	return int64(k), nil
}

// Noise adds two-sided geometric noise to published counts. Each number is
// identified by a label (the site, the day or month bucket it belongs to,
// what it counts), and the noise for a label is drawn from a stream keyed
// by the site's noise key, which is stored (aggregate.NoiseKeys). Asking
// again, restarting, another instance or `tally report` therefore shows
// the same noise, and a longer period, being a sum of its buckets'
// published numbers, carries their noise: it cannot be averaged away.
type Noise struct {
	eps float64
	key []byte
}

// NewSecret returns 32 random bytes from crypto/rand: a candidate noise
// key for a site that has none yet.
func NewSecret() ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("noise secret: %w", err)
	}
	return key, nil
}

// NewNoise returns the noise of budget eps (0: no noise) keyed by secret.
func NewNoise(eps float64, secret []byte) *Noise { return &Noise{eps: eps, key: secret} }

// Draw returns the noise for one labelled count; 0 when ε is 0.
func (n *Noise) Draw(label string) (int64, error) {
	if n == nil || n.eps == 0 {
		return 0, nil
	}
	m := hmac.New(sha256.New, n.key)
	m.Write([]byte(label))
	var seed [32]byte
	copy(seed[:], m.Sum(nil))
	return Geometric(n.eps, mrand.NewChaCha8(seed))
}
