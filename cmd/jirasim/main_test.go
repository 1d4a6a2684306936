package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

func TestTruthFlagPrintsJSON(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"--truth", "--teams", "2", "--issues", "120", "--mode", "dc"}, &out, &errb); err != nil {
		t.Fatalf("run: %v (%s)", err, errb.String())
	}
	var tr struct {
		Mode   string
		Teams  int
		Boards []struct {
			Sprints []json.RawMessage
		}
	}
	if err := json.Unmarshal(out.Bytes(), &tr); err != nil {
		t.Fatalf("truth is not JSON: %v", err)
	}
	// 120 issues / 2 teams = 60 per board → 60/120 = 0 → at least 3 closed
	// sprints, plus the active one: 4 per board in the truth.
	if tr.Mode != "dc" || tr.Teams != 2 || len(tr.Boards) != 2 || len(tr.Boards[0].Sprints) != 4 {
		t.Errorf("truth %+v", tr)
	}
}

// start runs the binary's run with args and returns its printed URL and a
// stop function that cancels it and returns run's error.
func start(t *testing.T, args ...string) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args, pw, io.Discard)
		pw.Close()
	}()
	url, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("no URL printed: %v (%v)", err, <-done)
	}
	go io.Copy(io.Discard, pr)
	return strings.TrimSpace(url), func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			return errors.New("server did not stop")
		}
	}
}

func TestFromDevLake(t *testing.T) {
	const src = "../../../shared/testdata/real/devlake-jira-e2e"
	if _, err := os.Stat(src); err != nil {
		t.Skipf("shared test data not found at %s", src)
	}
	url, stop := start(t, "--from-devlake", src, "--mode", "dc")
	req, _ := http.NewRequest("GET", url+"/rest/api/2/issue/EE-1?expand=changelog", nil)
	req.Header.Set("Authorization", "Bearer sim-pat")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var is struct {
		Key       string
		Changelog struct{ Histories []json.RawMessage }
	}
	_ = json.NewDecoder(resp.Body).Decode(&is)
	resp.Body.Close()
	// SOURCE.md / the recording: EE-1 carries 25 histories.
	if is.Key != "EE-1" || len(is.Changelog.Histories) != 25 {
		t.Errorf("EE-1: key %q, %d histories", is.Key, len(is.Changelog.Histories))
	}
	if err := stop(); err != nil {
		t.Error(err)
	}
}

func TestServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--issues", "300", "--mode", "cloud"}, pw, io.Discard)
		pw.Close()
	}()
	url, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	url = strings.TrimSpace(url)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("printed %q", url)
	}
	resp, err := http.Get(url + "/rest/api/2/serverInfo")
	if err != nil {
		t.Fatal(err)
	}
	var info struct{ DeploymentType string }
	_ = json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if info.DeploymentType != "Cloud" {
		t.Errorf("deploymentType %q", info.DeploymentType)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--mode", "x"}, {"--now", "yesterday"}, {"extra"}, {"--issues", "5"}} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// --cloud-agile-paging picks how Cloud pages a board's issues: by token
// (the default, Cloud since RFC-127: no startAt, no total) or by offset.
func TestCloudAgilePagingFlag(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		wantToken bool
	}{
		{nil, true},
		{[]string{"--cloud-agile-paging", "offset"}, false},
	} {
		url, stop := start(t, append([]string{"--issues", "300", "--mode", "cloud"}, tc.args...)...)
		req, _ := http.NewRequest("GET", url+"/rest/agile/1.0/board/1/issue?maxResults=10&fields=summary", nil)
		req.SetBasicAuth("sim@example.com", "sim-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page map[string]json.RawMessage
		_ = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		_, token := page["nextPageToken"]
		_, total := page["total"]
		if token != tc.wantToken || total == tc.wantToken {
			t.Errorf("%v: nextPageToken present %v, total present %v; want token paging %v", tc.args, token, total, tc.wantToken)
		}
		if err := stop(); err != nil {
			t.Error(err)
		}
	}
	if err := run(context.Background(), []string{"--cloud-agile-paging", "pages"}, io.Discard, io.Discard); err == nil {
		t.Error("--cloud-agile-paging pages accepted")
	}
}
