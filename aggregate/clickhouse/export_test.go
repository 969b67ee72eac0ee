package clickhouse

import "time"

// SetLockTiming shortens the migration lock's timing for a test and
// returns the function that restores it.
func SetLockTiming(beat, stale time.Duration) (restore func()) {
	b, s := lockBeat, lockStale
	lockBeat, lockStale = beat, stale
	return func() { lockBeat, lockStale = b, s }
}
