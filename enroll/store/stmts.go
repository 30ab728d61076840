package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
)

// maxStmts bounds the statements a pool keeps prepared: the store's own
// queries are about a hundred; queries built for one call (a list of ids)
// run unprepared once the bound is reached.
const maxStmts = 512

// pool is a database/sql pool that, on SQLite, prepares each query text
// once and runs it from then on without parsing it again: SQLite parses
// a statement's text each time it is run, which was a fifth of an
// enrollment's CPU and of a check-in's. PostgreSQL's driver caches its
// statements itself, per connection.
type pool struct {
	*sql.DB
	prepare   bool
	stmts     sync.Map // query text → *sql.Stmt
	n         atomic.Int32
	preparing sync.Map // query text → true, while prepared for a transaction

	mu     sync.Mutex // orders Close and the storing of a statement
	closed bool
}

func newPool(db *sql.DB, prepare bool) *pool { return &pool{DB: db, prepare: prepare} }

// stmt returns query prepared on the pool, or nil to run it as text: on
// PostgreSQL, past maxStmts, or when it does not prepare (running it as
// text then reports the error).
func (p *pool) stmt(ctx context.Context, query string) *sql.Stmt {
	if !p.prepare {
		return nil
	}
	if st, ok := p.stmts.Load(query); ok {
		return st.(*sql.Stmt)
	}
	if p.n.Load() >= maxStmts {
		return nil
	}
	st, err := p.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		st.Close()
		return nil
	}
	if prev, loaded := p.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt)
	}
	p.n.Add(1)
	return st
}

// txStmt returns query prepared for a transaction, or nil to run it as
// text. A statement is prepared on a connection of the pool, and the
// transaction holds the writer's only one: a query not prepared yet is
// run as text and prepared once the connection is free.
func (p *pool) txStmt(query string) *sql.Stmt {
	if !p.prepare {
		return nil
	}
	if st, ok := p.stmts.Load(query); ok {
		return st.(*sql.Stmt)
	}
	if p.n.Load() >= maxStmts {
		return nil
	}
	if _, busy := p.preparing.LoadOrStore(query, true); !busy {
		go func() {
			defer p.preparing.Delete(query)
			p.stmt(context.Background(), query)
		}()
	}
	return nil
}

func (p *pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return p.DB.ExecContext(ctx, query, args...)
}

func (p *pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.DB.QueryContext(ctx, query, args...)
}

func (p *pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.DB.QueryRowContext(ctx, query, args...)
}

// Close closes the prepared statements, then the pool.
func (p *pool) Close() error {
	var err error
	p.mu.Lock()
	p.closed = true
	p.stmts.Range(func(_, st any) bool {
		err = errors.Join(err, st.(*sql.Stmt).Close())
		return true
	})
	p.mu.Unlock()
	return errors.Join(err, p.DB.Close())
}

// txn is a transaction on the writer pool, running the pool's prepared
// statements.
type txn struct {
	*sql.Tx
	p *pool
}

func (t txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.p.txStmt(query); st != nil {
		return t.Tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

func (t txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.p.txStmt(query); st != nil {
		return t.Tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

func (t txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.p.txStmt(query); st != nil {
		return t.Tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}
