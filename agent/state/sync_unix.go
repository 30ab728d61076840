//go:build !windows

package state

import "os"

// syncDir makes a rename durable: the directory entry is synced too.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
