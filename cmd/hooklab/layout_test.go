package main

import (
	"go/build"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The packages import each other only as ARCHITECTURE.md allows:
// model ← db ← delivery; model ← views ← web; model, db, views, web ←
// handlers; model imports nothing outside the standard library.
func TestImportRules(t *testing.T) {
	const mod = "github.com/hooklab/hooklab/"
	allowed := map[string][]string{
		"model":    {},
		"static":   {},
		"db":       {"model"},
		"delivery": {"model", "db"},
		"views":    {"model", "static"},
		"web":      {"model", "views"},
		"handlers": {"model", "db", "views", "web", "static"},
	}
	for pkg, ok := range allowed {
		p, err := build.ImportDir(filepath.Join("..", "..", pkg), 0)
		if err != nil {
			t.Fatalf("%s: %v", pkg, err)
		}
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, mod) {
				if dep := strings.TrimPrefix(imp, mod); !slices.Contains(ok, dep) {
					t.Errorf("%s imports %s, which the layout does not allow", pkg, dep)
				}
			} else if pkg == "model" && strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
				t.Errorf("model imports %s: model uses the standard library only", imp)
			}
		}
	}
}
