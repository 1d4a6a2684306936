package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/backlog-health/analyzer/internal/jira/jirasim"
)

// doctor checks each Jira site and shows the fields every board would be
// computed with; a wrong token is one line naming the site.
func TestDoctorJira(t *testing.T) {
	sim, err := jirasim.New(jirasim.Config{Issues: 120, Teams: 2, AccountTimeZone: "Asia/Tokyo"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	cfg := func(token string) string {
		return writeFile(t, "c.yaml", fmt.Sprintf("jira:\n  sites:\n    - id: acme\n      url: %s\n      flavor: cloud\n      email: sim@example.com\n      token: %s\n", srv.URL, token))
	}
	dsn := newDB(t)
	m, out, _, err := newTestMain(t, map[string]string{"DATABASE_URL": dsn}, "doctor", "--config", cfg("sim-token"))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("doctor: %v\n%s", err, out)
	}
	// The simulated Cloud site estimates in customfield_10016 (jsw-story-points),
	// named by each board's configuration; its Sprint field is customfield_10020.
	for _, want := range []string{"ok    jira      acme: " + srv.URL + " (cloud)", "sprint=customfield_10020",
		"board     acme/1", "estimation customfield_10016 (from board-configuration)", "board     acme/2",
		"ok    timezone  acme: the account's time zone is Asia/Tokyo"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}

	m2, _, _, err := newTestMain(t, map[string]string{"DATABASE_URL": dsn}, "doctor", "--config", cfg("wrong-token"))
	if err != nil {
		t.Fatal(err)
	}
	err = m2.Run(context.Background())
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "jira site acme") || strings.Contains(err.Error(), "wrong-token") {
		t.Fatalf("wrong token: want one line naming the site without the token, got %v", err)
	}
}
