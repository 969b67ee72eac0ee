package useragent

import (
	"hash/maphash"
	"sync"
)

// Cache remembers the classes of recently seen user agents: real traffic
// repeats a few thousand headers, and parsing one costs microseconds. It is
// keyed by a seeded in-memory hash of the header, so it never holds the
// header itself, and it is bounded: when full it starts over.
type Cache struct {
	seed maphash.Seed
	max  int

	mu      sync.RWMutex
	entries map[uint64]Info
}

// NewCache returns a cache of at most max entries.
func NewCache(max int) *Cache {
	return &Cache{seed: maphash.MakeSeed(), max: max, entries: make(map[uint64]Info, max)}
}

// Parse is Parse with a cache in front of the header's classification.
func (c *Cache) Parse(header string, screenWidth int) Info {
	h := maphash.String(c.seed, header)
	c.mu.RLock()
	info, ok := c.entries[h]
	c.mu.RUnlock()
	if !ok {
		info = classify(header)
		c.mu.Lock()
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
		c.entries[h] = info
		c.mu.Unlock()
	}
	return refine(info, screenWidth)
}
