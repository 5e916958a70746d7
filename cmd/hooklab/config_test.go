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
