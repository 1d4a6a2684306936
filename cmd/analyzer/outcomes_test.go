package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backlog-health/analyzer/internal/worker"
)

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const outcomesConfig = `outcomes:
  strict: true
  push_token: push-secret
  metrics:
    - name: mrr
      unit: EUR
    - name: nps
`

// `analyzer outcomes import`: a good file is stored; a file with one bad row
// stores nothing and names the line.
func TestOutcomesImport(t *testing.T) {
	ctx := context.Background()
	dsn := newDB(t)
	cfg := writeFile(t, "c.yaml", outcomesConfig)
	good := writeFile(t, "good.csv", "date,metric,value,segment,unit\n2026-11-16,mrr,123400,,EUR\n2026-11-16,mrr,41000,emea,\n2026-W47,nps,31.5,,\n")
	m, out, _, err := newTestMain(t, map[string]string{"DATABASE_URL": dsn}, "--config", cfg, "outcomes", "import", good)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "imported 3 value(s)") || !strings.Contains(out.String(), "3 new") {
		t.Fatalf("output: %s", out)
	}
	// Line 3 has a decimal comma, line 4 an unknown metric (strict): nothing
	// of this file is stored, not even its good line 2.
	bad := writeFile(t, "bad.csv", "date,metric,value\n2026-11-23,mrr,125000\n2026-11-23,mrr,\"1,5\"\n2026-11-23,arr,1\n")
	m2, _, _, err := newTestMain(t, map[string]string{"DATABASE_URL": dsn}, "--config", cfg, "outcomes", "import", bad)
	if err != nil {
		t.Fatal(err)
	}
	err = m2.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "nothing imported") || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "line 4") {
		t.Fatalf("bad file: %v", err)
	}
	s, err := m.Store(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	_ = s.DB().GetContext(ctx, &n, `SELECT count(*) FROM outcome_values`)
	if n != 3 {
		t.Fatalf("%d values stored, want the 3 of the good file only", n)
	}
}

// The worker's HTTP handler serves the outcome push endpoint beside health.
func TestOutcomesPushMounted(t *testing.T) {
	ctx := context.Background()
	dsn := newDB(t)
	m, _, _, err := newTestMain(t, map[string]string{"DATABASE_URL": dsn}, "--config", writeFile(t, "c.yaml", outcomesConfig), "migrate")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	w, err := worker.New(worker.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop(ctx)
	h, err := m.httpHandler(w, m.store)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	post := func(token string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/outcomes", strings.NewReader(`{"values":[{"metric":"mrr","date":"2026-11-16","value":123.5}]}`))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("wrong"); code != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", code)
	}
	if code := post("push-secret"); code != http.StatusOK {
		t.Fatalf("push: %d", code)
	}
	// Both answers are counted on /metrics (issue 11 point 5).
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`analyzer_outcome_pushes_total{code="401",result="refused"} 1`, `analyzer_outcome_pushes_total{code="200",result="accepted"} 1`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	var v float64
	_ = m.store.DB().GetContext(ctx, &v, `SELECT value FROM outcome_values WHERE metric = 'mrr'`)
	if v != 123.5 {
		t.Fatalf("stored %v, want 123.5", v)
	}
}

// `analyzer outcomes pull` reads a metric from the user's own database (a
// second database on the test server) with the configured query.
func TestOutcomesPull(t *testing.T) {
	ctx := context.Background()
	userDB := newDB(t)
	db, err := sql.Open("postgres", userDB)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE mrr_weekly (week date, eur numeric);
		INSERT INTO mrr_weekly VALUES ('2026-11-09', 120000), ('2026-11-16', 123400)`); err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, "c.yaml", fmt.Sprintf(`outcomes:
  metrics:
    - name: mrr
      unit: EUR
  sql_sources:
    - metric: mrr
      dsn: %s
      query: SELECT week AS date, eur AS value FROM mrr_weekly
`, userDB))
	m, out, _, err := newTestMain(t, map[string]string{"DATABASE_URL": newDB(t)}, "--config", cfg, "outcomes", "pull")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "pulled 2 outcome value(s) from 1 SQL source(s)") {
		t.Fatalf("output: %s", out)
	}
	var sum float64
	_ = m.store.DB().GetContext(ctx, &sum, `SELECT sum(value) FROM outcome_values WHERE metric = 'mrr'`)
	if sum != 243400 { // 120,000 + 123,400
		t.Fatalf("stored sum %v, want 243400", sum)
	}
}
