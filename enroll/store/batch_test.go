package store

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

// batchStore opens a SQLite store with a table t of one column v, made
// by create.
func batchStore(t *testing.T, create string) *sqlStore {
	t.Helper()
	st, err := OpenSQLite(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := st.(*sqlStore)
	if _, err := s.w.ExecContext(t.Context(), create); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBatchedTransactions(t *testing.T) {
	s := batchStore(t, `CREATE TABLE t (v INTEGER UNIQUE)`)
	ctx := t.Context()
	insert := func(tx txn, v int) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO t (v) VALUES (?)`, v)
		return err
	}
	// The first holds the writer while the others queue: they are
	// committed together.
	release := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- s.tx(ctx, func(tx txn) error { <-release; return insert(tx, 0) })
	}()
	boom := errors.New("boom")
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	const n = 40
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 1; i < n; i++ {
		wg.Go(func() {
			c := ctx
			if i == 7 {
				c = canceled
			}
			errs[i] = s.tx(c, func(tx txn) error {
				if err := insert(tx, i); err != nil {
					return err
				}
				switch i {
				case 5:
					return boom // its row goes with it
				case 9:
					return insert(tx, 9) // its own row again: a constraint fails, rolled back alone
				}
				return nil
			})
		})
	}
	time.Sleep(100 * time.Millisecond) // let them queue
	close(release)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if s.batch.batched.Load() == 0 {
		t.Error("no transactions were committed together")
	}
	want := map[int]bool{}
	for i := 0; i < n; i++ {
		want[i] = true
	}
	for i, wantErr := range map[int]bool{5: true, 7: true, 9: true} {
		if (errs[i] != nil) != wantErr {
			t.Errorf("transaction %d: err = %v, want an error", i, errs[i])
		}
		delete(want, i)
	}
	for i := range want {
		if errs[i] != nil {
			t.Errorf("transaction %d: %v", i, errs[i])
		}
	}
	if !errors.Is(errs[5], boom) {
		t.Errorf("transaction 5: err = %v, want its own", errs[5])
	}
	rows, err := s.r.QueryContext(ctx, `SELECT v FROM t ORDER BY v`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []int
	for rows.Next() {
		var v int
		rows.Scan(&v)
		got = append(got, v)
	}
	if len(got) != len(want) {
		t.Fatalf("rows = %v, want %d rows: the failed transactions' writes rolled back, the others' kept", got, len(want))
	}
	for _, v := range got {
		if !want[v] {
			t.Errorf("row %d kept, want it rolled back", v)
		}
	}

	// Closed: no transaction runs.
	s.Close()
	if err := s.tx(ctx, func(tx txn) error { return insert(tx, 100) }); err == nil {
		t.Error("a transaction ran on a closed store")
	}
}

// TestBatchOnOneProcessor: on one processor (a service given one core),
// the transactions of goroutines ready to run when the writer takes a lone
// one join its commit; before, the writer ran first and committed it
// alone, as nothing had queued yet. The scheduler may run the writer
// early now and then, so one round in five must gather them all.
func TestBatchOnOneProcessor(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	s := batchStore(t, `CREATE TABLE t (v INTEGER)`)
	ctx := t.Context()
	const n = 8
	together := 0
	for range 5 {
		before := s.batch.batched.Load()
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				if err := s.tx(ctx, func(tx txn) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO t (v) VALUES (?)`, i)
					return err
				}); err != nil {
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()
		if s.batch.batched.Load()-before == n {
			together++
		}
	}
	if together == 0 {
		t.Errorf("%d transactions made ready at once were never committed together in 5 rounds", n)
	}
}
