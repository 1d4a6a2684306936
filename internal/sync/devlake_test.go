package sync_test

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/store/storetest"

	"github.com/backlog-health/analyzer/internal/jira/jirasim"
	"github.com/backlog-health/analyzer/internal/jira/jirasim/devlakeconv"
	"github.com/backlog-health/analyzer/internal/sync"
)

const devlakeDir = "../../../shared/testdata/real/devlake-jira-e2e"

// DevLake's recording of a real Jira Cloud site (merico.atlassian.net),
// served by the simulator from files, syncs without a parse error, and the
// stored issues agree with DevLake's own expected domain table
// (snapshot_tables/issues.csv, 30 issues of board 8).
func TestDevLakeRecording(t *testing.T) {
	if _, err := os.Stat(devlakeDir); err != nil {
		t.Skipf("real recorded data not available (%v): this test needs ../shared beside the repository", err)
	}
	data := filepath.Join(t.TempDir(), "data")
	if err := devlakeconv.Convert(devlakeDir, data); err != nil {
		t.Fatal(err)
	}
	site := newSim(t, jirasim.Config{Mode: jirasim.ModeCloud, DataDir: data})
	st := storetest.MustOpen(t)
	res := runSync(t, st, site, sync.Config{})
	if len(res.Skipped) != 0 {
		t.Fatalf("skipped %v", res.Skipped)
	}

	f, err := os.Open(filepath.Join(devlakeDir, "backend/plugins/jira/e2e/snapshot_tables/issues.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	parse := func(s string) *time.Time {
		if s == "" {
			return nil
		}
		tm, err := time.Parse("2006-01-02T15:04:05.000-07:00", s)
		if err != nil {
			t.Fatalf("expected table time %q: %v", s, err)
		}
		return &tm
	}
	ctx := context.Background()
	for _, r := range rows[1:] {
		key := r[col["issue_key"]]
		got, err := st.IssueGetByKey(ctx, "sim", key)
		if err != nil {
			t.Errorf("%s: %v", key, err)
			continue
		}
		// DevLake's "type" and "status" columns are its own standard mapping
		// (e.g. EE-1's 已完成 maps to TODO in its test config); the Jira values
		// are original_type and original_status, which is what we store.
		if got.Type != r[col["original_type"]] || got.StatusName != r[col["original_status"]] {
			t.Errorf("%s: type/status %q/%q, DevLake %q/%q", key, got.Type, got.StatusName, r[col["original_type"]], r[col["original_status"]])
		}
		if want := parse(r[col["created_date"]]); !got.Created.Equal(*want) {
			t.Errorf("%s: created %v, DevLake %v", key, got.Created, want)
		}
		want := parse(r[col["resolution_date"]])
		switch {
		case want == nil && got.Resolved != nil, want != nil && (got.Resolved == nil || !got.Resolved.Equal(*want)):
			t.Errorf("%s: resolved %v, DevLake %v", key, got.Resolved, want)
		case want != nil:
			// lead_time_minutes = resolution − created in whole minutes
			// (EE-1: 2020-06-12T00:13:13Z → 2020-06-19T06:31:18Z = 10458).
			wantLead, _ := strconv.Atoi(r[col["lead_time_minutes"]])
			if lead := int(got.Resolved.Sub(got.Created).Minutes()); lead != wantLead {
				t.Errorf("%s: lead time %d min, DevLake %d", key, lead, wantLead)
			}
		}
	}
	// 33 issues were recorded (30 on board 8, 3 on board 93).
	if n := count(t, st, `SELECT count(*) FROM issues`); n != 33 {
		t.Errorf("stored %d issues, the recording has 33", n)
	}
}
