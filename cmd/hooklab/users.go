package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hooklab/hooklab/model"
)

func userCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError{"usage: hooklab user create --username U --email E --password P [--admin]"}
	}
	var cfg config
	var in model.NewUserInput
	fs := flag.NewFlagSet("hooklab user create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&in.Username, "username", "", "username (required)")
	fs.StringVar(&in.Email, "email", "", "primary e-mail (required)")
	fs.StringVar(&in.Password, "password", "", "password, at least 8 characters (required)")
	fs.StringVar(&in.Name, "name", "", "display name (defaults to the username)")
	fs.BoolVar(&in.Admin, "admin", false, "make the user an administrator")
	dataFlags(fs, &cfg)
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	u, err := store.RegisterUser(ctx, in)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "created user %s (id %d)%s\n", u.Username, u.ID, map[bool]string{true: ", administrator"}[u.Admin])
	return nil
}

func tokenCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError{"usage: hooklab token create --user U --name N [--scopes api,read_api,sudo] [--expires YYYY-MM-DD]"}
	}
	var cfg config
	var username, scopes string
	var in model.NewTokenInput
	fs := flag.NewFlagSet("hooklab token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&username, "user", "", "username of the token's owner (required)")
	fs.StringVar(&in.Name, "name", "", "token name (required)")
	fs.StringVar(&scopes, "scopes", "api", "comma-separated scopes: api, read_api, sudo (administrators)")
	fs.StringVar(&in.ExpiresAt, "expires", "", "expiry date YYYY-MM-DD (optional)")
	dataFlags(fs, &cfg)
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	if username == "" {
		return usageError{"--user is required"}
	}
	for _, s := range strings.Split(scopes, ",") {
		if s = strings.TrimSpace(s); s != "" {
			in.Scopes = append(in.Scopes, s)
		}
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	u, err := store.UserByUsername(ctx, username)
	if err != nil {
		if errors.Is(err, model.ErrNotFound) {
			return fmt.Errorf("no user named %q", username)
		}
		return err
	}
	in.Admin = u.Admin
	raw, _, err := store.IssueToken(ctx, u.ID, in)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintln(stdout, raw)
	fmt.Fprintln(os.Stderr, "This is the only time the token is shown; store it safely.")
	return nil
}

// describe turns validation errors into one readable line.
func describe(err error) error {
	if v, ok := model.AsValidation(err); ok {
		return usageError{v.Error()}
	}
	return err
}
