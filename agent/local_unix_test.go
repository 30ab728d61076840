//go:build unix

package agent

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// An inventory written to a pipe or a device (--local /dev/null, a shell's
// process substitution) goes into it: the pipe stays a pipe. It was once
// renamed over, which replaced /dev/null with a root-only file.
func TestRunLocalIntoPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// Opened for reading and writing, the pipe never blocks its writer's
	// open; its reader drains it as the inventory comes.
	r, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var mu sync.Mutex
	var got bytes.Buffer
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := r.Read(buf)
			mu.Lock()
			got.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()

	rep, err := localAgent(t).RunLocal(t.Context(), fifo, Request{})
	if err != nil {
		t.Fatalf("RunLocal into a pipe: %v", err)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode().Type() != os.ModeNamedPipe {
		t.Fatalf("after RunLocal, %s is %v (%v), want the pipe it was", fifo, fi.Mode(), err)
	}
	if rep.Written != fifo {
		t.Errorf("Written = %q, want %q", rep.Written, fifo)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		ok := json.Valid(got.Bytes())
		n := got.Len()
		mu.Unlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("read %d bytes from the pipe, not a whole inventory", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// An inventory written through a symbolic link goes to the file it names,
// and the link stays.
func TestRunLocalThroughLink(t *testing.T) {
	dir := t.TempDir()
	file, link := filepath.Join(dir, "inventory.json"), filepath.Join(dir, "latest.json")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("inventory.json", link); err != nil {
		t.Fatal(err)
	}
	if _, err := localAgent(t).RunLocal(t.Context(), link, Request{}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode().Type() != os.ModeSymlink {
		t.Fatalf("after RunLocal, %s is %v (%v), want the link it was", link, fi.Mode(), err)
	}
	f, _ := os.Open(file)
	defer f.Close()
	if b, _ := io.ReadAll(f); !json.Valid(b) {
		t.Errorf("%s holds %d bytes, not the inventory", file, len(b))
	}
}
