package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// `analyzer demo --serve`: after the demo it serves the dashboard on the demo
// data, prints its URL, answers the overview and the read API, and stops
// cleanly when interrupted (the context ends).
func TestDemoServe(t *testing.T) {
	dsn := newDB(t)
	dir := filepath.Join(t.TempDir(), "demo")
	m, _, _, err := newTestMain(t, map[string]string{"DATABASE_URL": dsn}, "demo", "--out", dir, "--issues", "600", "--serve", "--http", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{}
	m.Stdout = out
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()

	url := waitLog(t, out, regexp.MustCompile(`dashboard: (http://127\.0\.0\.1:\d+/)`))[1]
	if !strings.Contains(out.String(), "demo finished") {
		t.Errorf("the dashboard started before the demo finished:\n%s", out)
	}
	page := httpGet(t, url)
	// The demo site's four teams (jirasim names boards "<KEY> board").
	if n := strings.Count(page, `<section class="team"`); n != 4 {
		t.Errorf("overview: %d team sections, want the demo's 4", n)
	}
	if !strings.Contains(page, "Outcomes (PM)") {
		t.Error("overview lacks the demo's outcomes")
	}
	var boards struct {
		Boards []struct{ Path string } `json:"boards"`
	}
	if err := json.Unmarshal([]byte(httpGet(t, url+"api/v1/boards")), &boards); err != nil || len(boards.Boards) != 4 {
		t.Fatalf("api/v1/boards: %v %+v", err, boards)
	}
	httpGet(t, strings.TrimSuffix(url, "/")+boards.Boards[0].Path)

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo --serve after interrupt: %v", err)
		}
	case <-time.After(60 * time.Second): // hang guard
		t.Fatal("demo --serve did not stop when interrupted")
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}
