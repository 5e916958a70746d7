// Command hooklab runs the Hooklab server and its administration commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=..."; see
// releaseVersion for what is reported.
var version = defaultVersion

const usage = `Hooklab — GitLab's webhook machinery as one self-hosted server.

Usage:
  hooklab serve [--addr :8080] [--data ./data] [--external-url http://localhost:8080]
  hooklab user create --username U --email E --password P [--admin]
  hooklab token create --user U --name N [--scopes api,read_api] [--expires YYYY-MM-DD]
  hooklab publish (--project P | --group G) --file event.json
  hooklab copy-to-postgres --data ./data --database-url postgres://…   (SQLite → PostgreSQL, server stopped)
  hooklab version

Run "hooklab <command> --help" for a command's flags and environment variables.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var ue usageError
	switch {
	case err == nil:
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "hooklab:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "hooklab:", err)
		os.Exit(1)
	}
}

// usageError is a mistake on the command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return serveCommand(ctx, rest, stdout, stderr)
	case "user":
		return userCommand(ctx, rest, stdout, stderr)
	case "token":
		return tokenCommand(ctx, rest, stdout, stderr)
	case "publish":
		return publishCommand(ctx, rest, stdout, stderr)
	case "copy-to-postgres":
		return copyCommand(ctx, rest, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "hooklab %s (revision %s)\n", releaseVersion(version), buildRevision(version, revision))
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
}
