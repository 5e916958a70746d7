package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// dataLock is the exclusive lock `hooklab serve` holds on its data
// directory for as long as it runs. One engine per SQLite file is what
// lets a starting server release every delivery lease an earlier process
// left at once, instead of waiting for them to run out. The admin
// commands (user, token, publish) do not take it: they write through
// SQLite's own locking beside a running server.
type dataLock struct{ f *os.File }

// lockDataDir takes the lock, or says which process holds it.
func lockDataDir(dir string) (*dataLock, error) {
	path := filepath.Join(dir, "hooklab.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := "another process"
			if b, rerr := os.ReadFile(path); rerr == nil {
				if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
					holder = fmt.Sprintf("pid %d", pid)
				}
			}
			return nil, fmt.Errorf("data directory %s is in use by another hooklab serve (%s); stop it, or give this one another --data", dir, holder)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dataLock{f: f}, nil
}

// unlock releases the lock (the kernel also does when the process dies);
// a nil lock is none.
func (l *dataLock) unlock() {
	if l == nil {
		return // no lock: the store is on PostgreSQL
	}
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}
