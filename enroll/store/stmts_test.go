package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

func TestPoolPreparesEachQueryOnce(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // the writer's one connection
	p := newPool(db, true)
	defer p.Close()
	s := &sqlStore{w: p, r: p}
	ctx := t.Context()
	if _, err := p.ExecContext(ctx, `CREATE TABLE t (v INTEGER)`); err != nil {
		t.Fatal(err)
	}
	const insert = `INSERT INTO t (v) VALUES (?)`
	var prepared []bool
	for v := range 3 {
		// The transaction holds the only connection: the first run is
		// done as text, and the statement prepared once it is free.
		err := s.tx(ctx, func(tx txn) error {
			prepared = append(prepared, p.txStmt(insert) != nil)
			_, err := tx.ExecContext(ctx, insert, v)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		waitPrepared(t, p, insert)
	}
	if prepared[0] || !prepared[1] || !prepared[2] {
		t.Errorf("statement prepared at runs %v, want every run but the first", prepared)
	}
	var n int
	if err := p.QueryRowContext(ctx, `SELECT COUNT(*) FROM t`).Scan(&n); err != nil || n != 3 {
		t.Errorf("rows = %d, %v; want 3", n, err)
	}

	// Past the bound, queries run as text.
	p.n.Store(maxStmts)
	const other = `SELECT COUNT(*) FROM t WHERE v > ?`
	if err := p.QueryRowContext(ctx, other, 0).Scan(&n); err != nil || n != 2 {
		t.Errorf("count = %d, %v; want 2", n, err)
	}
	if _, ok := p.stmts.Load(other); ok {
		t.Error("a query past the bound was prepared")
	}
	// A query that does not prepare reports its error when run.
	if _, err := p.ExecContext(context.Background(), `INSERT INTO nowhere VALUES (1)`); err == nil {
		t.Error("a bad query ran")
	}
}

func waitPrepared(t *testing.T, p *pool, query string) {
	t.Helper()
	for range 500 {
		if _, ok := p.stmts.Load(query); ok {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("%q never prepared", query)
}
