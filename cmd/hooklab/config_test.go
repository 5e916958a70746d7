package main

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestServeConfigDeliveryHeldMiB(t *testing.T) {
	t.Setenv("HOOKLAB_DELIVERY_HELD_MIB", "")
	cfg, err := parseServeConfig(nil, io.Discard)
	if err != nil || cfg.DeliveryHeldMiB != 64 {
		t.Fatalf("default: %d %v, want 64", cfg.DeliveryHeldMiB, err)
	}
	t.Setenv("HOOKLAB_DELIVERY_HELD_MIB", "256")
	if cfg, err = parseServeConfig(nil, io.Discard); err != nil || cfg.DeliveryHeldMiB != 256 {
		t.Fatalf("from the environment: %d %v, want 256", cfg.DeliveryHeldMiB, err)
	}
	if cfg, err = parseServeConfig([]string{"--delivery-held-mib", "8"}, io.Discard); err != nil || cfg.DeliveryHeldMiB != 8 {
		t.Fatalf("from the flag: %d %v, want 8", cfg.DeliveryHeldMiB, err)
	}
	_, err = parseServeConfig([]string{"--delivery-held-mib", "0"}, io.Discard)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--delivery-held-mib") {
		t.Fatalf("0 MiB: %v, want a usage error naming the flag", err)
	}
}

func TestServeConfigTrustedProxies(t *testing.T) {
	t.Setenv("HOOKLAB_TRUSTED_PROXIES", "")
	cfg, err := parseServeConfig(nil, io.Discard)
	if err != nil || len(cfg.TrustedProxies) != 0 {
		t.Fatalf("default: %v %v, want none", cfg.TrustedProxies, err)
	}
	t.Setenv("HOOKLAB_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7,2001:db8::/32")
	if cfg, err = parseServeConfig(nil, io.Discard); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range cfg.TrustedProxies {
		got = append(got, n.String())
	}
	if want := "10.0.0.0/8 192.0.2.7/32 2001:db8::/32"; strings.Join(got, " ") != want {
		t.Fatalf("from the environment: got %v, want %s", got, want)
	}
	if cfg, err = parseServeConfig([]string{"--trusted-proxies", "127.0.0.1"}, io.Discard); err != nil || len(cfg.TrustedProxies) != 1 {
		t.Fatalf("from the flag: %v %v", cfg.TrustedProxies, err)
	}
	_, err = parseServeConfig([]string{"--trusted-proxies", "10.0.0.0/33"}, io.Discard)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--trusted-proxies") {
		t.Fatalf("bad CIDR: %v, want a usage error naming the flag", err)
	}
}

func TestServeConfigSQLiteSynchronous(t *testing.T) {
	t.Setenv("HOOKLAB_SQLITE_SYNCHRONOUS", "")
	cfg, err := parseServeConfig(nil, io.Discard)
	if err != nil || cfg.SQLiteSynchronous != "FULL" {
		t.Fatalf("default: %q %v, want FULL", cfg.SQLiteSynchronous, err)
	}
	t.Setenv("HOOKLAB_SQLITE_SYNCHRONOUS", "normal")
	if cfg, err = parseServeConfig(nil, io.Discard); err != nil || cfg.SQLiteSynchronous != "NORMAL" {
		t.Fatalf("from the environment: %q %v, want NORMAL", cfg.SQLiteSynchronous, err)
	}
	if cfg, err = parseServeConfig([]string{"--sqlite-synchronous", "FULL"}, io.Discard); err != nil || cfg.SQLiteSynchronous != "FULL" {
		t.Fatalf("the flag over the environment: %q %v, want FULL", cfg.SQLiteSynchronous, err)
	}
	var ue usageError
	if _, err := parseServeConfig([]string{"--sqlite-synchronous", "off"}, io.Discard); !errors.As(err, &ue) {
		t.Fatalf("--sqlite-synchronous off: %v, want a usage error", err)
	}
	t.Setenv("HOOKLAB_SQLITE_SYNCHRONOUS", "extra")
	if _, err := parseServeConfig(nil, io.Discard); !errors.As(err, &ue) || !strings.Contains(err.Error(), "HOOKLAB_SQLITE_SYNCHRONOUS") {
		t.Fatalf("a bad environment value: %v, want a usage error naming it", err)
	}
}

func TestServeConfigMonitoringAllowlist(t *testing.T) {
	t.Setenv("HOOKLAB_MONITORING_ALLOWLIST", "")
	cfg, err := parseServeConfig(nil, io.Discard)
	if err != nil || !cfg.MonitoringAllowlist.allows("127.0.0.1:5000") || !cfg.MonitoringAllowlist.allows("[::1]:80") ||
		cfg.MonitoringAllowlist.allows("192.0.2.1:80") {
		t.Fatalf("default %v (%v): want loopback only", cfg.MonitoringAllowlist, err)
	}
	t.Setenv("HOOKLAB_MONITORING_ALLOWLIST", "10.0.0.0/8,192.0.2.9")
	if cfg, err = parseServeConfig(nil, io.Discard); err != nil || !cfg.MonitoringAllowlist.allows("10.1.2.3") ||
		!cfg.MonitoringAllowlist.allows("192.0.2.9") || cfg.MonitoringAllowlist.allows("127.0.0.1") {
		t.Fatalf("from the environment: %v (%v)", cfg.MonitoringAllowlist, err)
	}
	var ue usageError
	if _, err := parseServeConfig([]string{"--monitoring-allowlist", "not an address"}, io.Discard); err == nil {
		t.Fatal("a bad allowlist entry was accepted")
	} else if errors.As(err, &ue) && !strings.Contains(err.Error(), "not an address") {
		t.Fatalf("bad entry: %v, want it named", err)
	}
}
