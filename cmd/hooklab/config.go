package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/hooklab/hooklab/model"
)

// config is everything read from flags and the environment. It is read
// only here and passed down explicitly.
type config struct {
	Addr         string
	DataDir      string
	ExternalURL  string
	RootPassword string
	SMTPURL      string
	MailFrom     string
	LogFormat    string
	LogLevel     string
	// EncryptionKey and SessionKey override the generated key files
	// (base64, 32 and 64 bytes).
	EncryptionKey string
	SessionKey    string
	// EncryptionKeyFile and SessionKeyFile hold the keys (base64) instead
	// of the environment; with a database URL one of the two is required.
	EncryptionKeyFile string
	SessionKeyFile    string
	// DatabaseURL, when set, is the PostgreSQL database (postgres://…)
	// several instances share; else the store is SQLite in DataDir.
	DatabaseURL string
	// TLSClientCertFile and TLSClientCertPassword: the instance's client
	// certificate (PEM with key) presented to receivers for mutual TLS.
	TLSClientCertFile     string
	TLSClientCertPassword string
	// DeliveryWorkers and DeliveryPerHook size the delivery pool;
	// DeliveryHeldMiB bounds the payloads it holds in memory.
	DeliveryWorkers int
	DeliveryPerHook int
	DeliveryHeldMiB int
	// PprofAddr, when set, serves Go's profiler on that (loopback) address.
	PprofAddr string
	// SQLiteSynchronous is SQLite's synchronous setting: FULL (an accepted
	// event survives a power loss) or NORMAL (it survives a crash of the
	// process, not of the machine).
	SQLiteSynchronous string
	// MonitoringAllowlist are the networks /metrics answers.
	MonitoringAllowlist cidrList
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client; by default none, and the connection's peer is the client.
	TrustedProxies []*net.IPNet
	// SharedState says other instances serve the same database: the
	// sign-in, Test/Resend and web_hook_calls limits are then counted in
	// the database instead of in memory, and the engine leaves leases it
	// finds at start to their owners. Off with SQLite (the data directory
	// is locked to one instance); on with --database-url.
	SharedState bool
	// onMail, when set, sees every message handed to the mailer; tests read
	// invitation links from it. Not a flag.
	onMail func(model.Mail)
}

// envOr returns the environment variable or def.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// dataFlags are shared by every command that opens the store.
func dataFlags(fs *flag.FlagSet, cfg *config) {
	fs.StringVar(&cfg.DataDir, "data", envOr("HOOKLAB_DATA", "./data"), "data directory: database and generated keys (HOOKLAB_DATA)")
	cfg.EncryptionKey = os.Getenv("HOOKLAB_ENCRYPTION_KEY")
	cfg.SessionKey = os.Getenv("HOOKLAB_SESSION_KEY")
	fs.StringVar(&cfg.DatabaseURL, "database-url", envOr("HOOKLAB_DATABASE_URL", ""),
		"PostgreSQL database shared by several instances, postgres://user:password@host:5432/db?sslmode=...; empty: SQLite in --data (HOOKLAB_DATABASE_URL; prefer the environment, it holds a password)")
	fs.StringVar(&cfg.EncryptionKeyFile, "encryption-key-file", envOr("HOOKLAB_ENCRYPTION_KEY_FILE", ""),
		"file holding the 32-byte encryption key in base64, instead of HOOKLAB_ENCRYPTION_KEY or the generated <data>/encryption.key (HOOKLAB_ENCRYPTION_KEY_FILE)")
	fs.StringVar(&cfg.SessionKeyFile, "session-key-file", envOr("HOOKLAB_SESSION_KEY_FILE", ""),
		"file holding the 96-byte session key in base64, instead of HOOKLAB_SESSION_KEY or the generated <data>/session.key (HOOKLAB_SESSION_KEY_FILE)")
	fs.StringVar(&cfg.LogFormat, "log-format", envOr("HOOKLAB_LOG_FORMAT", "text"), "log format: text or json (HOOKLAB_LOG_FORMAT)")
	fs.StringVar(&cfg.LogLevel, "log-level", envOr("HOOKLAB_LOG_LEVEL", "info"), "log level: debug, info, warn, error (HOOKLAB_LOG_LEVEL)")
	fs.Func("sqlite-synchronous", "SQLite's synchronous setting: full (default; an accepted event survives a power loss) or normal (faster; it survives a crash of the process only) (HOOKLAB_SQLITE_SYNCHRONOUS)",
		func(v string) error { return setSynchronous(cfg, v) })
	if err := setSynchronous(cfg, envOr("HOOKLAB_SQLITE_SYNCHRONOUS", "full")); err != nil {
		// A bad environment value is reported when the flags are parsed.
		cfg.SQLiteSynchronous = "invalid:" + os.Getenv("HOOKLAB_SQLITE_SYNCHRONOUS")
	}
}

func setSynchronous(cfg *config, v string) error {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "full":
		cfg.SQLiteSynchronous = "FULL"
	case "normal":
		cfg.SQLiteSynchronous = "NORMAL"
	default:
		return fmt.Errorf("must be full or normal, not %q", v)
	}
	return nil
}

// checkSynchronous reports a bad HOOKLAB_SQLITE_SYNCHRONOUS.
func checkSynchronous(cfg config) error {
	if v, ok := strings.CutPrefix(cfg.SQLiteSynchronous, "invalid:"); ok {
		return usageError{fmt.Sprintf("HOOKLAB_SQLITE_SYNCHRONOUS must be full or normal, not %q", v)}
	}
	return nil
}

func parseServeConfig(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("hooklab serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", envOr("HOOKLAB_ADDR", ":8080"), "listen address (HOOKLAB_ADDR)")
	fs.StringVar(&cfg.ExternalURL, "external-url", envOr("HOOKLAB_EXTERNAL_URL", "http://localhost:8080"),
		"the instance's public URL: X-Gitlab-Instance, links, Secure cookies when https (HOOKLAB_EXTERNAL_URL)")
	fs.StringVar(&cfg.SMTPURL, "smtp-url", envOr("HOOKLAB_SMTP_URL", ""), "smtp://user:password@host:587?from=address; empty logs mail instead (HOOKLAB_SMTP_URL)")
	fs.StringVar(&cfg.MailFrom, "mail-from", envOr("HOOKLAB_MAIL_FROM", "hooklab@localhost"), "sender address of e-mail (HOOKLAB_MAIL_FROM)")
	fs.StringVar(&cfg.TLSClientCertFile, "tls-client-cert-file", envOr("HOOKLAB_TLS_CLIENT_CERT_FILE", ""),
		"PEM file with the client certificate and key presented to webhook receivers for mutual TLS (HOOKLAB_TLS_CLIENT_CERT_FILE)")
	fs.StringVar(&cfg.TLSClientCertPassword, "tls-client-cert-password", envOr("HOOKLAB_TLS_CLIENT_CERT_PASSWORD", ""),
		"password of an encrypted client key (HOOKLAB_TLS_CLIENT_CERT_PASSWORD; prefer the environment)")
	fs.IntVar(&cfg.DeliveryWorkers, "delivery-workers", envInt("HOOKLAB_DELIVERY_WORKERS", 64), "webhook deliveries sent at once (HOOKLAB_DELIVERY_WORKERS)")
	fs.IntVar(&cfg.DeliveryPerHook, "delivery-per-hook", envInt("HOOKLAB_DELIVERY_PER_HOOK", 16), "deliveries sent at once to one hook (HOOKLAB_DELIVERY_PER_HOOK)")
	fs.IntVar(&cfg.DeliveryHeldMiB, "delivery-held-mib", envInt("HOOKLAB_DELIVERY_HELD_MIB", 64),
		"MiB of event payloads the delivery engine holds in memory; the rest waits in the outbox (HOOKLAB_DELIVERY_HELD_MIB)")
	cfg.MonitoringAllowlist = defaultMonitoringAllowlist()
	if v := os.Getenv("HOOKLAB_MONITORING_ALLOWLIST"); v != "" {
		if err := cfg.MonitoringAllowlist.Set(v); err != nil {
			return cfg, usageError{"HOOKLAB_MONITORING_ALLOWLIST: " + err.Error()}
		}
	}
	fs.Var(&cfg.MonitoringAllowlist, "monitoring-allowlist",
		"comma-separated IPs or CIDRs allowed to read /metrics; others get 404 (HOOKLAB_MONITORING_ALLOWLIST; default 127.0.0.0/8,::1/128)")
	trustedProxies := fs.String("trusted-proxies", envOr("HOOKLAB_TRUSTED_PROXIES", ""),
		"comma-separated CIDRs (or addresses) of reverse proxies whose X-Forwarded-For is trusted; default none (HOOKLAB_TRUSTED_PROXIES)")
	fs.StringVar(&cfg.PprofAddr, "pprof-addr", envOr("HOOKLAB_PPROF_ADDR", ""), "serve Go's profiler (net/http/pprof) on this address, e.g. 127.0.0.1:6060 (HOOKLAB_PPROF_ADDR)")
	dataFlags(fs, &cfg)
	cfg.RootPassword = os.Getenv("HOOKLAB_ROOT_PASSWORD")
	if err := fs.Parse(args); err != nil {
		return cfg, usageError{err.Error()}
	}
	// Instances on one PostgreSQL database share their limits there.
	cfg.SharedState = cfg.DatabaseURL != ""
	if fs.NArg() > 0 {
		return cfg, usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if err := checkSynchronous(cfg); err != nil {
		return cfg, err
	}
	u, err := url.Parse(cfg.ExternalURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, usageError{fmt.Sprintf("--external-url %q must be an absolute http(s) URL such as https://hooklab.example.com", cfg.ExternalURL)}
	}
	cfg.ExternalURL = strings.TrimSuffix(cfg.ExternalURL, "/")
	if cfg.DeliveryWorkers < 1 || cfg.DeliveryPerHook < 1 || cfg.DeliveryHeldMiB < 1 {
		return cfg, usageError{"--delivery-workers, --delivery-per-hook and --delivery-held-mib must be at least 1"}
	}
	if cfg.TrustedProxies, err = parseCIDRs(*trustedProxies); err != nil {
		return cfg, usageError{"--trusted-proxies: " + err.Error()}
	}
	return cfg, nil
}

// parseCIDRs reads a comma-separated list of networks; a bare address
// stands for itself alone.
func parseCIDRs(list string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			ip := net.ParseIP(s)
			if ip == nil {
				return nil, fmt.Errorf("%q is neither a CIDR such as 10.0.0.0/8 nor an IP address", s)
			}
			bits := 128
			if ip4 := ip.To4(); ip4 != nil {
				ip, bits = ip4, 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a CIDR such as 10.0.0.0/8 nor an IP address", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// envInt returns the environment variable as a number, or def.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// cidrList is a list of networks given as comma-separated IPs or CIDRs.
type cidrList []*net.IPNet

func defaultMonitoringAllowlist() cidrList {
	var l cidrList
	_ = l.Set("127.0.0.0/8,::1/128")
	return l
}

func (l *cidrList) String() string {
	parts := make([]string, len(*l))
	for i, n := range *l {
		parts[i] = n.String()
	}
	return strings.Join(parts, ",")
}

// Set replaces the list.
func (l *cidrList) Set(v string) error {
	nets, err := parseCIDRs(v)
	if err != nil {
		return err
	}
	*l = nets
	return nil
}

// allows reports whether the address (host:port or host) is in the list.
func (l cidrList) allows(addr string) bool {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	for _, n := range l {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}
