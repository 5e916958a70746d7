package main

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	gitlab "gitlab.com/gitlab-org/api/client-go"
)

// metricValue reads one sample from the Prometheus text format.
func metricValue(t *testing.T, body, name string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no sample %s in /metrics", name)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func scrape(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// /metrics counts the deliveries made, by outcome, and the outbox is empty
// once they are recorded.
func TestMetricsCountDeliveriesByOutcome(t *testing.T) {
	inst := startInstance(t)
	gl := inst.client(t, "root")
	ok := newEventReceiver(t)
	failing := newEventReceiver(t)
	failing.answer(http.StatusBadGateway)
	p, _ := acmeProject(t, gl, ok.URL)
	if _, _, err := gl.Projects.AddProjectHook(p.ID, &gitlab.AddProjectHookOptions{URL: gitlab.Ptr(failing.URL), PushEvents: gitlab.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	const events = 3
	for i := 0; i < events; i++ {
		publishPush(t, gl, itoa(p.ID))
	}
	var body string
	waitFor(t, "every delivery counted and recorded", func() bool {
		var code int
		code, body = scrape(t, inst.URL)
		return code == http.StatusOK &&
			metricValue(t, body, `hooklab_deliveries_total{outcome="2xx"}`) == events &&
			metricValue(t, body, `hooklab_deliveries_total{outcome="5xx"}`) == events &&
			metricValue(t, body, "hooklab_outbox_pending") == 0 &&
			metricValue(t, body, "hooklab_outbox_leased") == 0
	})
	for _, name := range []string{`hooklab_deliveries_total{outcome="4xx"}`, `hooklab_deliveries_total{outcome="internal_error"}`,
		`hooklab_deliveries_total{outcome="blocked"}`, "hooklab_delivery_leases_lost_total", "hooklab_deliveries_rate_limited_total"} {
		if v := metricValue(t, body, name); v != 0 {
			t.Errorf("%s = %v, want 0", name, v)
		}
	}
	if v := metricValue(t, body, "hooklab_delivery_duration_seconds_count"); v != 2*events {
		t.Errorf("hooklab_delivery_duration_seconds_count = %v, want %d", v, 2*events)
	}
}

// /metrics answers only the monitoring allowlist: anyone else gets 404.
func TestMetricsRefuseAddressesOutsideTheAllowlist(t *testing.T) {
	inst := startInstance(t, func(c *config) { _ = c.MonitoringAllowlist.Set("10.0.0.0/8") })
	if code, _ := scrape(t, inst.URL); code != http.StatusNotFound {
		t.Fatalf("/metrics from 127.0.0.1 outside the allowlist: %d, want 404", code)
	}
	allowed := startInstance(t)
	if code, _ := scrape(t, allowed.URL); code != http.StatusOK {
		t.Fatalf("/metrics from loopback with the default allowlist: %d, want 200", code)
	}
}
