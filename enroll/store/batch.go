package store

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// SQLite has one writer, and a commit is a good part of a small write
// transaction's cost (a fifth of an enrollment's CPU). The transactions
// that queue for the writer meanwhile are run together, each within a
// savepoint of one transaction, and committed once (group commit): a
// transaction that fails is rolled back to its savepoint alone, the others
// see each other's writes as if run one after the other, and none is
// answered before the commit.

// maxBatch bounds the transactions committed together.
const maxBatch = 64

// batcher runs the writer's transactions on SQLite.
type batcher struct {
	s    *sqlStore
	reqs chan *batchReq
	stop chan struct{}
	done chan struct{}
	once sync.Once
	// batched counts the transactions committed with others.
	batched atomic.Int64
}

type batchReq struct {
	ctx context.Context
	fn  func(txn) error
	err chan error
}

var errStoreClosed = errors.New("store closed")

func newBatcher(s *sqlStore) *batcher {
	b := &batcher{s: s, reqs: make(chan *batchReq), stop: make(chan struct{}), done: make(chan struct{})}
	go b.run()
	return b
}

// do runs fn in a write transaction, alone or with others.
func (b *batcher) do(ctx context.Context, fn func(txn) error) error {
	r := &batchReq{ctx: ctx, fn: fn, err: make(chan error, 1)}
	select {
	case b.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.stop:
		return errStoreClosed
	}
	return <-r.err
}

func (b *batcher) close() {
	b.once.Do(func() { close(b.stop) })
	<-b.done
}

func (b *batcher) run() {
	defer close(b.done)
	for {
		var batch []*batchReq
		select {
		case r := <-b.reqs:
			batch = append(batch, r)
		case <-b.stop:
			return
		}
		for yielded := false; ; yielded = true {
			b.gather(&batch)
			if len(batch) > 1 || yielded {
				break
			}
			// Alone: let the goroutines ready to run have the
			// processor first, so that those about to write join this
			// commit. With one processor (a service given one core),
			// none runs while the writer works, and every transaction
			// would commit alone.
			runtime.Gosched()
		}
		if len(batch) == 1 {
			batch[0].err <- b.s.plainTx(batch[0].ctx, batch[0].fn)
			continue
		}
		b.batched.Add(int64(len(batch)))
		b.commit(batch)
	}
}

// gather adds to batch the requests waiting, up to maxBatch.
func (b *batcher) gather(batch *[]*batchReq) {
	for len(*batch) < maxBatch {
		select {
		case r := <-b.reqs:
			*batch = append(*batch, r)
		default:
			return
		}
	}
}

// commit runs batch in one transaction, each in a savepoint, and answers
// each request.
func (b *batcher) commit(batch []*batchReq) {
	ctx := context.Background() // a request's end must not end the others'
	sqlTx, err := b.s.w.BeginTx(ctx, nil)
	if err != nil {
		for _, r := range batch {
			r.err <- fmt.Errorf("begin transaction: %w", err)
		}
		return
	}
	tx := txn{sqlTx, b.s.w}
	var done []*batchReq // run without error: answered after the commit
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err <- err
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT batched"); err != nil {
			b.abort(sqlTx, append(done, batch[i:]...), err)
			return
		}
		// A canceled statement would roll back the whole transaction.
		if err := r.fn(txn{sqlTx, b.s.w}); err != nil {
			if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO batched"); rerr != nil {
				r.err <- err
				b.abort(sqlTx, append(done, batch[i+1:]...), rerr)
				return
			}
			r.err <- err
		} else {
			done = append(done, r)
		}
		if _, err := tx.ExecContext(ctx, "RELEASE batched"); err != nil {
			b.abort(sqlTx, append(done, batch[i+1:]...), err)
			return
		}
	}
	err = sqlTx.Commit()
	if err != nil {
		err = fmt.Errorf("commit transaction: %w", err)
	}
	for _, r := range done {
		r.err <- err
	}
}

// abort rolls the batch's transaction back and fails the requests left.
func (b *batcher) abort(sqlTx interface{ Rollback() error }, left []*batchReq, err error) {
	sqlTx.Rollback()
	for _, r := range left {
		r.err <- fmt.Errorf("batched transaction: %w", err)
	}
}
