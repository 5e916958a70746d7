package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// loadKey returns a secret key: from the environment value when given,
// else from <data>/<name>, generated there (0600) on first start. Keys are
// never hard-coded, and never logged.
func loadKey(dataDir, name, fromEnv, envName string, size int) ([]byte, error) {
	if fromEnv != "" {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(fromEnv))
		if err != nil || len(k) != size {
			return nil, fmt.Errorf("%s must be %d bytes in base64 (e.g. `head -c %d /dev/urandom | base64 -w0`)", envName, size, size)
		}
		return k, nil
	}
	path := filepath.Join(dataDir, name)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(k) != size {
			return nil, fmt.Errorf("%s is damaged: it must hold %d bytes in base64", path, size)
		}
		return k, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	k := make([]byte, size)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	return k, f.Close()
}
