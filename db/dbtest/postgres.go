package dbtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver

	"github.com/hooklab/hooklab/db"
)

// A throwaway PostgreSQL server per test binary: initdb into a temporary
// directory, the server on a free loopback port, started the first time a
// test asks for a PostgreSQL database and stopped by Main. Nothing is
// assumed to be running. When the tests run as root (CI), the server runs
// as the postgres user, which Debian's postgresql package creates
// (PostgreSQL refuses to run as root).

// Main runs a package's tests and stops the throwaway server afterwards.
// Use it from TestMain: os.Exit(dbtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	stopPostgres()
	return code
}

type pgServer struct {
	dir    string
	port   int
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	err    error

	mu sync.Mutex // CREATE DATABASE … TEMPLATE one at a time
	n  int
}

var (
	pgOnce sync.Once
	pg     pgServer
)

const pgTemplate = "hooklab_template"

// PostgresBinDir finds initdb and postgres: $HOOKLAB_PG_BIN, else the
// newest /usr/lib/postgresql/*/bin (Debian's layout).
func PostgresBinDir() (string, error) {
	if d := os.Getenv("HOOKLAB_PG_BIN"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) < pgVersion(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	return "", errors.New("PostgreSQL is not installed: no /usr/lib/postgresql/*/bin/initdb (make test installs Debian's postgresql package; or set HOOKLAB_PG_BIN)")
}

func pgVersion(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// PostgresURL returns the URL of a fresh, migrated database on the
// throwaway server, starting the server the first time.
func PostgresURL(t testing.TB) string { return postgresURL(t) }

func postgresURL(t testing.TB) string {
	t.Helper()
	pgOnce.Do(startPostgres)
	if pg.err != nil {
		t.Fatalf("throwaway PostgreSQL: %v", pg.err)
	}
	pg.mu.Lock()
	pg.n++
	name := fmt.Sprintf("t%d", pg.n)
	err := pgExec("postgres", "CREATE DATABASE "+name+" TEMPLATE "+pgTemplate)
	pg.mu.Unlock()
	if err != nil {
		t.Fatalf("create database: %v", err)
	}
	return pg.url(name)
}

// EmptyPostgresURL returns the URL of a new database without any table
// (to test migrating).
func EmptyPostgresURL(t testing.TB) string {
	t.Helper()
	pgOnce.Do(startPostgres)
	if pg.err != nil {
		t.Fatalf("throwaway PostgreSQL: %v", pg.err)
	}
	pg.mu.Lock()
	pg.n++
	name := fmt.Sprintf("t%d", pg.n)
	pg.mu.Unlock()
	if err := pgExec("postgres", "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		t.Fatalf("create database: %v", err)
	}
	return pg.url(name)
}

func (s *pgServer) url(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, database)
}

func pgExec(database, stmt string) error { return pg.exec(database, stmt) }

func (s *pgServer) exec(database, stmt string) error {
	c, err := sql.Open("pgx", s.url(database))
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Exec(stmt)
	return err
}

func startPostgres() {
	pg.err = func() error {
		if err := pg.start(false); err != nil {
			return err
		}
		if err := pg.exec("postgres", "CREATE DATABASE "+pgTemplate); err != nil {
			return err
		}
		// Migrate the template once; each test's database is a copy.
		s, err := db.Open(context.Background(), pg.url(pgTemplate), db.Options{EncryptionKey: Key})
		if err != nil {
			return fmt.Errorf("migrate the template database: %w", err)
		}
		return s.Close()
	}()
}

// start makes a cluster in a new temporary directory and starts a server on
// it. A durable server keeps PostgreSQL's defaults (fsync, synchronous
// commit); the tests' does not sync.
func (s *pgServer) start(durable bool) error {
	bin, err := PostgresBinDir()
	if err != nil {
		return err
	}
	if s.dir, err = os.MkdirTemp("", "hooklab-pg-"); err != nil {
		return err
	}
	cred, err := serverUser(s.dir)
	if err != nil {
		return err
	}
	data := filepath.Join(s.dir, "data")
	initdb := command(cred, s.dir, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	// A free port may be taken by another test binary's server before
	// this one binds it: then try another.
	for attempt := 1; ; attempt++ {
		err := s.listen(cred, bin, data, durable)
		if err == nil {
			return nil
		}
		if attempt == 3 {
			return err
		}
	}
}

// listen starts postgres on a free port and waits until it answers.
func (s *pgServer) listen(cred *syscall.Credential, bin, data string, durable bool) error {
	var err error
	if s.port, err = freePort(); err != nil {
		return err
	}
	args := []string{"-D", data, "-h", "127.0.0.1", "-p", strconv.Itoa(s.port), "-k", s.dir,
		"-c", "max_connections=400", "-c", "shared_buffers=32MB"}
	if !durable {
		// Durability is not what the tests are about: skip the syncs.
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	s.cmd = command(cred, s.dir, filepath.Join(bin, "postgres"), args...)
	logf, err := os.Create(filepath.Join(s.dir, "server.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	// The server goes with the process that started it, even a killed one.
	s.cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan struct{})
	cmd := s.cmd
	go func() { _ = cmd.Wait(); close(exited) }()
	s.exited = exited
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := s.exec("postgres", "SELECT 1")
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
			s.cmd = nil
			return fmt.Errorf("postgres exited: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			_ = s.cmd.Process.Signal(syscall.SIGQUIT)
			<-exited
			s.cmd = nil
			log, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
			return fmt.Errorf("postgres did not start: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func stopPostgres() { pg.stop() }

func (s *pgServer) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		// SIGQUIT: immediate shutdown, nothing here needs to survive.
		_ = s.cmd.Process.Signal(syscall.SIGQUIT)
		<-s.exited
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// PostgresServer is a throwaway PostgreSQL server for programs other than
// tests (the load test), started like the tests' own.
type PostgresServer struct{ s *pgServer }

// StartPostgres starts a throwaway server; durable keeps PostgreSQL's
// fsync and synchronous commit, as an installation runs it.
func StartPostgres(durable bool) (*PostgresServer, error) {
	s := &pgServer{}
	if err := s.start(durable); err != nil {
		s.stop()
		return nil, err
	}
	return &PostgresServer{s}, nil
}

// CreateDatabase creates an empty database and returns its URL.
func (p *PostgresServer) CreateDatabase(name string) (string, error) {
	if err := p.s.exec("postgres", "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return p.s.url(name), nil
}

// Stop stops the server and removes its files.
func (p *PostgresServer) Stop() { p.s.stop() }

// serverUser returns the credentials to run the server with: none (the
// current user) unless that is root, then the postgres user's, who is
// given dir.
func serverUser(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, the server needs the postgres user (Debian's postgresql package creates it): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func command(cred *syscall.Credential, dir, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	return cmd
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
