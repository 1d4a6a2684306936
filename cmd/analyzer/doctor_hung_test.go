package main

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/jira/jiratest"

	"github.com/backlog-health/analyzer/internal/config"
)

// hungJira is jiratest.HungServer.
func hungJira(t *testing.T) (addr string, accepted *atomic.Int32) { return jiratest.HungServer(t) }

// doctor against a Jira that never answers ends with one line naming the
// site and the timeout, after 1 + jira.timeouts.retries connections.
func TestDoctorHungJira(t *testing.T) {
	dsn := newDB(t)
	for _, flavor := range []string{"cloud", "auto"} {
		t.Run(flavor, func(t *testing.T) {
			addr, accepted := hungJira(t)
			url := "http://" + addr
			cfg := writeFile(t, "c.yaml", fmt.Sprintf("jira:\n  timeouts:\n    response_header: 200ms\n    retries: 1\n"+
				"  sites:\n    - id: acme\n      url: %s\n      flavor: %s\n      email: sim@example.com\n      token: sim-token\n", url, flavor))
			m, _, _, err := newTestMain(t, map[string]string{"DATABASE_URL": dsn}, "doctor", "--config", cfg)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- m.Run(context.Background()) }()
			select {
			case err = <-done:
			case <-time.After(60 * time.Second): // hang guard only
				t.Fatal("doctor still running after 60s against a hung Jira")
			}
			path := map[string]string{"cloud": "/rest/api/2/myself", "auto": "/rest/api/2/serverInfo"}[flavor]
			want := "GET " + path + ": timed out after 200ms waiting for the response headers (2 attempts)"
			if err == nil || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "doctor: jira site acme ("+url+")") ||
				!strings.Contains(err.Error(), want) {
				t.Fatalf("doctor: got %v\nwant one line naming site acme (%s) and %q", err, url, want)
			}
			t.Log(err)
			// retries: 1 → two requests, each on its own connection.
			if n := accepted.Load(); n != 2 {
				t.Errorf("%d connections, want 2", n)
			}
		})
	}
}

// Every jira.timeouts key reaches the client configuration; retries: 0
// means no retry (jira.Config's -1), not the client's default.
func TestJiraConfigTimeouts(t *testing.T) {
	m := NewMain()
	m.Config = config.Default()
	m.Config.Jira.Timeouts = config.JiraTimeouts{Dial: 1 * time.Second, TLSHandshake: 2 * time.Second,
		ResponseHeader: 3 * time.Second, Request: 4 * time.Second, Retries: 2}
	c := m.jiraConfig(config.SiteConfig{ID: "acme", URL: "https://acme.example"})
	if c.DialTimeout != time.Second || c.TLSHandshakeTimeout != 2*time.Second || c.ResponseHeaderTimeout != 3*time.Second ||
		c.RequestTimeout != 4*time.Second || c.TimeoutRetries != 2 {
		t.Fatalf("jira.Config %+v does not carry the configured timeouts", c)
	}
	m.Config.Jira.Timeouts.Retries = 0
	if c := m.jiraConfig(config.SiteConfig{ID: "acme"}); c.TimeoutRetries != -1 {
		t.Fatalf("retries 0 → TimeoutRetries %d, want -1", c.TimeoutRetries)
	}
}
