package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/delivery"
	"github.com/hooklab/hooklab/handlers"
	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/web"
)

// app is one running Hooklab: the store, the HTTP server and the delivery
// engine, wired together. Tests start one on 127.0.0.1:0.
type app struct {
	cfg      config
	log      *slog.Logger
	store    *db.Store
	srv      *web.Server
	handlers *handlers.Handler
	mailer   *delivery.Mailer
	sender   *delivery.Sender
	engine   *delivery.Engine
	lock     *dataLock
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openStore opens the database, PostgreSQL at --database-url or SQLite in
// the data directory, with the instance key.
func openStore(ctx context.Context, cfg config) (*db.Store, error) {
	if err := checkSynchronous(cfg); err != nil {
		return nil, err
	}
	key, err := encryptionKey(cfg)
	if err != nil {
		return nil, err
	}
	location := filepath.Join(cfg.DataDir, "hooklab.db")
	if cfg.DatabaseURL != "" {
		if !db.IsPostgresURL(cfg.DatabaseURL) {
			return nil, usageError{"--database-url must be a PostgreSQL URL: postgres://user:password@host:5432/database?sslmode=..."}
		}
		location = cfg.DatabaseURL
	}
	return db.Open(ctx, location, db.Options{EncryptionKey: key, Synchronous: cfg.SQLiteSynchronous})
}

// encryptionKey is the instance's key for secret columns, from the
// environment or a key file, or (SQLite) generated once into the data
// directory.
func encryptionKey(cfg config) ([]byte, error) {
	return instanceKey(cfg, "encryption key", cfg.EncryptionKey, "HOOKLAB_ENCRYPTION_KEY", cfg.EncryptionKeyFile, "encryption-key-file", db.KeySize)
}

// sessionKey signs and encrypts session cookies: the same on every
// instance, so that a cookie from one works on the others.
func sessionKey(cfg config) ([]byte, error) {
	return instanceKey(cfg, "session key", cfg.SessionKey, "HOOKLAB_SESSION_KEY", cfg.SessionKeyFile, "session-key-file", 96)
}

// urlHashKey derives the key that salts the hook URL hashes of log rows
// from the instance key, so that they survive restarts without a file of
// their own and reveal nothing without the key.
func urlHashKey(encKey []byte) []byte {
	m := hmac.New(sha256.New, encKey)
	m.Write([]byte("hooklab: hook log url hash"))
	return m.Sum(nil)
}

// newEngine builds the sender and the delivery engine over the store. On
// SQLite the engine is the store's only one (the caller holds the data
// directory); on PostgreSQL other instances' engines share the outbox, and
// the leases of one that stops renewing them run out and are taken over.
func newEngine(cfg config, store *db.Store, log *slog.Logger, reg prometheus.Registerer) (*delivery.Sender, *delivery.Engine, error) {
	key, err := encryptionKey(cfg)
	if err != nil {
		return nil, nil, err
	}
	sender, err := delivery.New(delivery.Options{
		Version: releaseVersion(version), ExternalURL: cfg.ExternalURL, URLHashKey: urlHashKey(key),
		ClientCertFile: cfg.TLSClientCertFile, ClientCertPassword: cfg.TLSClientCertPassword,
		// Every worker may be talking to one receiver: keep them all alive.
		MaxIdleConnsPerHost: max(cfg.DeliveryWorkers, 16),
	})
	if err != nil {
		return nil, nil, err
	}
	engine := delivery.NewEngine(store, sender, delivery.EngineOptions{
		Workers: cfg.DeliveryWorkers, PerHook: cfg.DeliveryPerHook, MaxHeldBytes: int64(cfg.DeliveryHeldMiB) << 20,
		ExternalURL: cfg.ExternalURL, Logger: log, Registerer: reg, SoleInstance: !cfg.SharedState,
		Calls: callCounter(cfg, store),
	})
	return sender, engine, nil
}

func newApp(ctx context.Context, cfg config, log *slog.Logger) (_ *app, err error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	// Both keys are checked before anything is opened or created.
	if _, err := encryptionKey(cfg); err != nil {
		return nil, err
	}
	sessionKey, err := sessionKey(cfg)
	if err != nil {
		return nil, err
	}
	// The data directory's lock keeps a second process off a SQLite file;
	// instances on PostgreSQL share the database by design.
	var lock *dataLock
	if cfg.DatabaseURL == "" {
		if lock, err = lockDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		lock.unlock()
		return nil, err
	}
	a := &app{cfg: cfg, log: log, store: store, lock: lock}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	if err := a.ensureRoot(ctx); err != nil {
		return nil, err
	}
	if a.mailer, err = delivery.NewMailer(cfg.SMTPURL, cfg.MailFrom, log); err != nil {
		return nil, err
	}
	a.mailer.Skip = skipFailingAddresses(store, log)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if a.sender, a.engine, err = newEngine(cfg, store, log, reg); err != nil {
		return nil, err
	}
	a.srv = web.New(web.Config{
		ExternalURL:     cfg.ExternalURL,
		SessionHashKey:  sessionKey[:64],
		SessionBlockKey: sessionKey[64:],
		Logger:          log,
		Registry:        reg,
		APIPrefix:       handlers.APIPrefix,
		NoCSRF:          handlers.NoCSRFPrefixes,
		Auth:            handlers.Authenticator{Store: store},
		TrustedProxies:  cfg.TrustedProxies,
	})
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	a.srv.GET("/metrics", func(c echo.Context) error {
		if !cfg.MonitoringAllowlist.allows(c.RealIP()) {
			return echo.ErrNotFound
		}
		metrics.ServeHTTP(c.Response(), c.Request())
		return nil
	})
	var mailer handlers.Mailer = a.mailer
	if cfg.onMail != nil {
		mailer = tappedMailer{a.mailer, cfg.onMail}
	}
	a.handlers = handlers.New(a.srv, handlers.Config{Version: releaseVersion(version), Revision: buildRevision(version, revision), ExternalURL: cfg.ExternalURL},
		handlers.Deps{Store: store, Mailer: mailer, Logger: log, Publisher: a.engine, Runner: a.engine, Limiter: limiter(cfg, store)})
	return a, nil
}

// limiter keeps the sign-in, password, mail and Test/Resend limits: in
// memory when this instance is the database's only one, in the database
// when several share it.
func limiter(cfg config, store *db.Store) web.Limiter {
	if cfg.SharedState {
		return web.NewSharedLimiter(store)
	}
	return web.NewLocalLimiter()
}

// callCounter counts web_hook_calls the same way (nil: the engine's
// in-memory counter).
func callCounter(cfg config, store *db.Store) delivery.CallCounter {
	if cfg.SharedState {
		return delivery.SharedCalls(store)
	}
	return nil
}

// skipFailingAddresses keeps mail from addresses that Mailgun reported
// failing too often. When the check itself fails, the mail is
// sent: a lost notification is worse than one more bounce.
func skipFailingAddresses(store *db.Store, log *slog.Logger) func(ctx context.Context, address string) bool {
	return func(ctx context.Context, address string) bool {
		failing, err := store.AddressFailing(ctx, address)
		if err != nil {
			log.Warn("could not check for a failing address; sending", "err", err)
			return false
		}
		return failing
	}
}

// tappedMailer shows each message to a test before sending it.
type tappedMailer struct {
	handlers.Mailer
	tap func(model.Mail)
}

func (m tappedMailer) Send(ctx context.Context, msg model.Mail) error {
	m.tap(msg)
	return m.Mailer.Send(ctx, msg)
}

// ensureRoot creates the administrator "root" on first start. Its password
// comes from HOOKLAB_ROOT_PASSWORD or is generated and logged once.
func (a *app) ensureRoot(ctx context.Context) error {
	n, err := a.store.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	pw, generated := a.cfg.RootPassword, false
	if pw == "" {
		b := make([]byte, 18)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		pw, generated = base64.RawURLEncoding.EncodeToString(b), true
	}
	email := envOr("HOOKLAB_ROOT_EMAIL", "admin@example.com")
	_, err = a.store.RegisterUser(ctx, model.NewUserInput{Username: "root", Name: "Administrator", Email: email, Password: pw, Admin: true})
	if err != nil {
		// Another instance starting on the same database may have created
		// root in the meantime: then there is nothing left to do.
		if n, cerr := a.store.CountUsers(ctx); cerr == nil && n > 0 {
			return nil
		}
		return fmt.Errorf("create root user: %w", err)
	}
	if generated {
		a.log.Warn("created the administrator 'root' with a generated password; it is shown only this once, change it after signing in",
			"username", "root", "password", pw)
	} else {
		a.log.Info("created the administrator 'root' with the password from HOOKLAB_ROOT_PASSWORD")
	}
	return nil
}

// serve answers HTTP on ln and runs the delivery engine until ctx is
// cancelled, then shuts down in order: stop accepting requests and finish
// in-flight ones, stop the engine (it hands back unstarted deliveries and
// records what was on the wire), then the caller closes the store.
func (a *app) serve(ctx context.Context, ln net.Listener) error {
	engineCtx, stopEngine := context.WithCancel(context.WithoutCancel(ctx))
	defer stopEngine()
	engineDone := make(chan error, 1)
	go func() { engineDone <- a.engine.Run(engineCtx) }()
	// On PostgreSQL, other instances' publishes wake this engine.
	go func() { _ = a.store.ListenOutbox(engineCtx, a.engine.Notify) }()
	hs := &http.Server{
		Handler:           a.srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	if a.cfg.PprofAddr != "" {
		stopPprof := servePprof(a.cfg.PprofAddr, a.log)
		defer stopPprof()
	}
	a.log.Info("hooklab listening", "addr", ln.Addr().String(), "database", a.store.Backend(), "external_url", a.cfg.ExternalURL, "version", version)
	var err error
	select {
	case err = <-errc:
		_ = hs.Close()
	case err = <-engineDone:
		engineDone <- nil
		_ = hs.Close()
		<-errc
	case <-ctx.Done():
		a.log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = hs.Shutdown(sctx)
		if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) {
			err = errors.Join(err, e)
		}
	}
	stopEngine()
	if e := <-engineDone; e != nil {
		err = errors.Join(err, fmt.Errorf("delivery engine: %w", e))
	}
	a.sender.CloseIdleConnections()
	return err
}

func (a *app) close() error {
	err := a.store.Close()
	a.lock.unlock()
	return err
}

func serveCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseServeConfig(args, stderr)
	if err != nil {
		return err
	}
	tuneRuntime()
	log := newLogger(cfg, stderr)
	slog.SetDefault(log)
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	addr := cfg.Addr
	if !strings.Contains(addr, ":") {
		addr = ":" + addr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	return a.serve(ctx, ln)
}

// tuneRuntime trades memory the server has to spare for CPU: the garbage
// collector runs a quarter as often (GOGC=400) under a soft memory limit
// of 192 MiB, unless GOGC or GOMEMLIMIT are set. Every delivery's UUIDs
// come from a pool of random bytes instead of one system call each.
func tuneRuntime() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(400)
		debug.SetMemoryLimit(192 << 20)
	}
	uuid.EnableRandPool()
}
