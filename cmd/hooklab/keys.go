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

// instanceKey returns one of the instance's keys: from the environment,
// else from the key file named by a flag, else (SQLite only) from the data
// directory, generated on first start. With a database URL several
// instances share the database, so they must share its keys, and a key
// must not live beside what it encrypts: it has to be given.
func instanceKey(cfg config, name, fromEnv, envName, file, flagName string, size int) ([]byte, error) {
	if fromEnv == "" && file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read --%s: %w", flagName, err)
		}
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(k) != size {
			return nil, fmt.Errorf("--%s %s must hold %d bytes in base64 (e.g. `head -c %d /dev/urandom | base64 -w0 > %s`)", flagName, file, size, size, file)
		}
		return k, nil
	}
	if fromEnv == "" && cfg.DatabaseURL != "" {
		return nil, usageError{fmt.Sprintf("with --database-url every instance needs the same %s: set %s or --%s "+
			"(generate it once with `head -c %d /dev/urandom | base64 -w0` and give it to every instance)", name, envName, flagName, size)}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	return loadKey(cfg.DataDir, strings.ReplaceAll(name, " ", "."), fromEnv, envName, size)
}
