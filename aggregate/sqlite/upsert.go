package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
)

// upsert adds rows to a table of counters: a row of a new key is
// inserted, one of a stored key gets its counts added. key is the conflict
// target (the table's primary key), cols[sums:] the counts.
type upsert struct {
	table, key string
	cols       []string
	sums       int
	// Columns [texts[0], texts[1]) are text that may come as nil for ''
	// (text). Binding a string costs the driver a copy into C memory, its
	// binding, a second binding at the end to let go of the copy, and a
	// free; nil is one binding. Most of a cell's dimensions are empty
	// (campaigns, region, exit page): 7 % less time per cell
	// (docs/benchmarks.md, "Statements prepared once").
	texts [2]int
	sqls  [len(rowsPerInsert)]string // the statement for each size, made once
}

// rowsPerInsert are the sizes of the statements rows are written with,
// largest first: a checkpoint's rows go out 200 at a time, the rest in
// smaller steps, all through statements prepared once (statements). One
// statement per row cost more than SQLite's work for it; 200 rows of 66
// columns stay under SQLite's limit of parameters per statement.
var rowsPerInsert = [...]int{200, 25, 5, 1}

func newUpsert(table, key string, cols []string, sums int, texts [2]int) *upsert {
	u := &upsert{table: table, key: key, cols: cols, sums: sums, texts: texts}
	for i, rows := range rowsPerInsert {
		u.sqls[i] = u.sql(rows)
	}
	return u
}

// sql is the statement for rows rows.
func (u *upsert) sql(rows int) string {
	var b strings.Builder
	vals := make([]string, len(u.cols))
	for i := range vals {
		vals[i] = "?"
		if i >= u.texts[0] && i < u.texts[1] {
			vals[i] = "coalesce(?, '')"
		}
	}
	one := "(" + strings.Join(vals, ", ") + ")"
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES %s ON CONFLICT (%s) DO UPDATE SET ",
		u.table, strings.Join(u.cols, ", "), strings.TrimSuffix(strings.Repeat(one+", ", rows), ", "), u.key)
	for i, c := range u.cols[u.sums:] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s = %s + excluded.%s", c, c, c)
	}
	return b.String()
}

// text is v to bind to a column of upsert.texts.
func text(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// writer writes a checkpoint's rows in one transaction.
type writer struct {
	ctx   context.Context
	tx    *sql.Tx
	stmts *statements
}

// upsert runs u over args, rows of len(u.cols) values each.
func (w *writer) upsert(u *upsert, args []any) error {
	n := len(u.cols)
	for i, rows := range rowsPerInsert {
		per := rows * n
		if len(args) < per {
			continue
		}
		stmt, err := w.stmts.get(w.ctx, u.sqls[i])
		if err != nil {
			return err
		}
		// Closed with the transaction; the statement it runs stays prepared.
		in := w.tx.StmtContext(w.ctx, stmt)
		for ; len(args) >= per; args = args[per:] {
			if _, err := in.ExecContext(w.ctx, args[:per]...); err != nil {
				return err
			}
		}
	}
	return nil
}

// statements keeps the upserts' statements prepared for the store's life,
// on each connection that runs them (database/sql prepares a statement
// again on another connection by itself): preparing the one of 200 rows
// anew in every checkpoint cost 8 % of the checkpoint's time under the
// churn load (docs/benchmarks.md, "Statements prepared once").
type statements struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func (s *statements) get(ctx context.Context, query string) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if stmt := s.m[query]; stmt != nil {
		return stmt, nil
	}
	stmt, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if s.m == nil {
		s.m = map[string]*sql.Stmt{}
	}
	s.m[query] = stmt
	return stmt, nil
}

func (s *statements) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, stmt := range s.m {
		stmt.Close()
	}
	s.m = nil
}
