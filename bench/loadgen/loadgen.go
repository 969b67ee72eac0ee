// Package loadgen holds what tally's load tools (cmd/tally-load and
// bench/soak) share: the loopback-only rule and reading a server's memory.
package loadgen

import (
	"fmt"
	"os"
	"strings"
)

// Loopback reports whether a base URL names this machine, the only place
// the load tools may send to.
func Loopback(url string) bool {
	for _, p := range []string{"http://127.", "http://localhost", "http://[::1]"} {
		if strings.HasPrefix(url, p) {
			return true
		}
	}
	return false
}

// RSS reads a process's resident set size in KiB from /proc; 0 when unknown.
func RSS(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(rest), "%d", &kb)
			return kb
		}
	}
	return 0
}
