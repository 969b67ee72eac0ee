package aggregate

import "context"

// Crash stops the aggregator as a SIGKILL would: its goroutines end, and no
// final journal write or checkpoint happens. Files stay as they are.
func (a *Aggregator) Crash() {
	close(a.done)
	a.wg.Wait()
}

// CommitJournal runs one group commit now, as the journal's ticker does.
func (a *Aggregator) CommitJournal() {
	if a.jr == nil || a.jr.off {
		return
	}
	a.Sync(context.Background())
	a.jmu.Lock()
	a.mu.Lock()
	a.drainLocked()
	a.copyDirtyLocked()
	a.mu.Unlock()
	a.writeEntries(nil)
	a.jmu.Unlock()
}
