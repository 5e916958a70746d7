package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// hooklab --help lists every command.
func TestHelpListsEveryCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"hooklab serve", "hooklab user create", "hooklab token create", "hooklab publish", "hooklab version"} {
		if !strings.Contains(stdout.String(), cmd) {
			t.Errorf("--help does not list %q:\n%s", cmd, stdout.String())
		}
	}
}
