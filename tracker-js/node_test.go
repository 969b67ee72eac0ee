package trackerjs

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestNodeUnitTests runs the tracker's own unit tests (node --test) so that
// `go test ./...` is the whole suite. They need Node.js and the pinned
// esbuild (`npm ci` in tracker-js); without them the test skips loudly,
// except in CI (TALLY_REQUIRE_BROWSER=1), where it fails.
func TestNodeUnitTests(t *testing.T) {
	node, err := exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "node is not installed"
	case func() bool { _, err := os.Stat(filepath.Join("node_modules", "esbuild")); return err != nil }():
		missing = "tracker-js/node_modules is missing: run `npm ci` in tracker-js"
	}
	if missing != "" {
		if os.Getenv("TALLY_REQUIRE_BROWSER") != "" {
			t.Fatalf("tracker unit tests cannot run: %s", missing)
		}
		t.Skipf("SKIPPING the tracker's node unit tests: %s", missing)
	}
	tests, err := filepath.Glob(filepath.Join("test", "*.test.js"))
	if err != nil || len(tests) == 0 {
		t.Fatalf("no tracker unit tests found: %v", err)
	}
	cmd := exec.Command(node, append([]string{"--test"}, tests...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
