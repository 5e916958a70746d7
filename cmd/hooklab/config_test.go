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
