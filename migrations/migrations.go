// Package migrations holds the versioned schema of each store as numbered SQL
// files, embedded in the binary. A published file is never edited: a fix is a
// new file with the next number.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed sqlite/*.sql clickhouse/*.sql
var files embed.FS

// Migration is one numbered schema step.
type Migration struct {
	Version int
	Name    string // file name, e.g. "0001_init.sql"
	SQL     string
}

// Statements splits the migration into single statements (at ";" ending a
// line), for drivers that run one statement per call.
func (m Migration) Statements() []string {
	var out []string
	for _, s := range strings.Split(m.SQL, ";\n") {
		var lines []string
		for _, l := range strings.Split(s, "\n") {
			if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
				lines = append(lines, l)
			}
		}
		if st := strings.TrimSuffix(strings.TrimSpace(strings.Join(lines, "\n")), ";"); st != "" {
			out = append(out, st)
		}
	}
	return out
}

// For returns the migrations of one store ("sqlite" or "clickhouse") in order.
func For(store string) ([]Migration, error) {
	names, err := fs.Glob(files, store+"/*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and '_'", name)
		}
		b, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: base, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share a number", out[i-1].Name, out[i].Name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no migrations for store %q", store)
	}
	return out, nil
}
