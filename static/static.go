// Package static embeds Hooklab's stylesheets and scripts and names them by
// content hash, so browsers may cache them forever.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed css js img
var files embed.FS

// Prefix is where the files are served.
const Prefix = "/static/"

var hashes = func() map[string]string {
	m := map[string]string{}
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m[p] = hex.EncodeToString(sum[:])[:12]
		return nil
	})
	return m
}()

// URL returns the cache-busting URL of an embedded file, e.g.
// URL("css/app.css") → "/static/css/app.css?v=3f2a…".
func URL(name string) string {
	h, ok := hashes[name]
	if !ok {
		panic("static: no file " + name) // a typo in a template; fail loudly in tests
	}
	return Prefix + name + "?v=" + h
}

// Favicon serves the icon at /favicon.ico, where browsers look when a page
// names none (and the error pages of other tools do): answering it here
// keeps the request away from the page routes and their sign-in redirect.
func Favicon(w http.ResponseWriter, r *http.Request) {
	b, _ := files.ReadFile("img/favicon.svg")
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(b)
}

// Handler serves the embedded files. Versioned requests are cached for a
// year; the content never changes under the same hash.
func Handler() http.Handler {
	fsrv := http.StripPrefix(Prefix, http.FileServer(http.FS(files)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean(r.URL.Path), Prefix)
		if _, ok := hashes[name]; !ok {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") == hashes[name] {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		fsrv.ServeHTTP(w, r)
	})
}
