package aggregate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// The realtime view across a restart. Close writes what the view shows —
// as counts only — to LiveFile under Config.SpillDir, and New reads it back
// and deletes it:
//
//   - each site's per-minute visitors and pageviews of the last LiveMinutes;
//   - the current visitors, their latest pages, sources and countries,
//     each as a count per minute of last activity ("3 visitors last seen at
//     10:04 on /pricing"), never as a visitor's own record.
//
// The restored counts show until their minute leaves the window they are
// asked for. A visitor who comes back after the restart is a new visit to
// the session table, so a visitor seen on both sides of a restart counts
// twice in the minutes around it (as the day's unique visitors already do,
// docs/design.md). Without a SpillDir there is nowhere to write: the view
// starts empty, as before. A crash leaves no snapshot: the view starts
// empty after it.
const LiveFile = "live.json"

type liveSnapshot struct {
	Saved int64                   `json:"saved"` // Unix seconds
	Sites map[int64]*liveRestored `json:"sites"`
}

// liveRestored is one site's snapshot: its ring and its current visitors
// by minute of last activity.
type liveRestored struct {
	Minutes   [][3]int64 `json:"minutes"` // Unix minute, visitors, pageviews
	Current   []liveSeen `json:"current"`
	Pages     []liveSeen `json:"pages"`
	Sources   []liveSeen `json:"sources"`
	Countries []liveSeen `json:"countries"`
}

// liveSeen is N visitors whose latest hit was in minute M, with value V.
type liveSeen struct {
	M int64  `json:"m"`
	V string `json:"v,omitempty"`
	N int    `json:"n"`
}

// saveLive writes the snapshot; callers hold no lock.
func (a *Aggregator) saveLive() error {
	if a.cfg.SpillDir == "" {
		return nil
	}
	a.mu.Lock()
	snap := a.liveSnapshot()
	a.mu.Unlock()
	if len(snap.Sites) == 0 {
		return nil
	}
	b, err := json.Marshal(snap)
	if err != nil {
		return fmt.Errorf("realtime snapshot: %w", err)
	}
	if err := os.MkdirAll(a.cfg.SpillDir, 0o700); err != nil {
		return fmt.Errorf("realtime snapshot: %w", err)
	}
	path := filepath.Join(a.cfg.SpillDir, LiveFile)
	if err := os.WriteFile(path+".tmp", b, 0o600); err != nil {
		return fmt.Errorf("realtime snapshot: %w", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return fmt.Errorf("realtime snapshot: %w", err)
	}
	return nil
}

// liveSnapshot gathers the counts the realtime view would show now,
// restored ones included. Callers hold a.mu.
func (a *Aggregator) liveSnapshot() liveSnapshot {
	now := a.now()
	oldest := now.Unix()/60 - LiveMinutes
	snap := liveSnapshot{Saved: now.Unix(), Sites: map[int64]*liveRestored{}}
	site := func(id int64) *liveRestored {
		if snap.Sites[id] == nil {
			snap.Sites[id] = &liveRestored{}
		}
		return snap.Sites[id]
	}
	for id, r := range a.live {
		for _, slot := range r {
			if slot.minute > oldest && slot.visitors+slot.pageviews > 0 {
				s := site(id)
				s.Minutes = append(s.Minutes, [3]int64{slot.minute, int64(slot.visitors), int64(slot.pageviews)})
			}
		}
	}
	type key struct {
		site, minute int64
		v            string
	}
	current, pages, sources, countries := map[key]int{}, map[key]int{}, map[key]int{}, map[key]int{}
	for _, s := range a.sessions {
		m := s.last.Unix() / 60
		if m <= oldest {
			continue
		}
		k := s.key()
		current[key{s.site, m, ""}]++
		if s.lastPage != "" {
			pages[key{s.site, m, s.lastPage}]++
		}
		sources[key{s.site, m, display(Source, k[Source])}]++
		countries[key{s.site, m, display(Country, k[Country])}]++
	}
	for id, r := range a.restored {
		for _, list := range []struct {
			from []liveSeen
			to   map[key]int
		}{{r.Current, current}, {r.Pages, pages}, {r.Sources, sources}, {r.Countries, countries}} {
			for _, e := range list.from {
				if e.M > oldest {
					list.to[key{id, e.M, e.V}] += e.N
				}
			}
		}
	}
	for _, list := range []struct {
		from map[key]int
		to   func(*liveRestored) *[]liveSeen
	}{
		{current, func(r *liveRestored) *[]liveSeen { return &r.Current }},
		{pages, func(r *liveRestored) *[]liveSeen { return &r.Pages }},
		{sources, func(r *liveRestored) *[]liveSeen { return &r.Sources }},
		{countries, func(r *liveRestored) *[]liveSeen { return &r.Countries }},
	} {
		for k, n := range list.from {
			l := list.to(site(k.site))
			*l = append(*l, liveSeen{M: k.minute, V: k.v, N: n})
		}
	}
	return snap
}

// loadLive reads and removes the snapshot a clean stop left, before the
// aggregator starts: its minutes go back into the rings, its current
// visitors into a.restored. A missing file is no error; a damaged one is
// logged and ignored (the view starts empty, as without one).
func (a *Aggregator) loadLive() {
	if a.cfg.SpillDir == "" {
		return
	}
	path := filepath.Join(a.cfg.SpillDir, LiveFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err == nil {
		err = os.Remove(path)
	}
	var snap liveSnapshot
	if err == nil {
		err = json.Unmarshal(b, &snap)
	}
	if err != nil {
		a.log.Warn("realtime snapshot not restored", "err", err)
		return
	}
	oldest := a.now().Unix()/60 - LiveMinutes
	for id, s := range snap.Sites {
		r := &liveRing{}
		for _, m := range s.Minutes {
			if m[0] > oldest {
				r[m[0]%LiveMinutes] = minuteCount{minute: m[0], visitors: int(m[1]), pageviews: int(m[2])}
			}
		}
		a.live[id] = r
		a.restored[id] = s
	}
}

// restoredLive adds site's restored current visitors whose minute of last
// activity ends after since (nil maps: the count only). Callers hold a.mu.
func (a *Aggregator) restoredLive(site int64, since time.Time, current *int, pages, sources, countries map[string]int) {
	r := a.restored[site]
	if r == nil {
		return
	}
	after := func(m int64) bool { return (m+1)*60 > since.Unix() }
	for _, e := range r.Current {
		if after(e.M) {
			*current += e.N
		}
	}
	for _, l := range []struct {
		from []liveSeen
		to   map[string]int
	}{{r.Pages, pages}, {r.Sources, sources}, {r.Countries, countries}} {
		for _, e := range l.from {
			if l.to != nil && after(e.M) {
				l.to[e.V] += e.N
			}
		}
	}
}
