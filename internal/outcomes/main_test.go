package outcomes_test

import (
	"context"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/pgtest"
	"github.com/backlog-health/analyzer/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.MainNoLeaks(m)) }

func countRows(tb testing.TB, s *store.Store) int {
	tb.Helper()
	var n int
	if err := s.DB().GetContext(context.Background(), &n, `SELECT count(*) FROM outcome_values`); err != nil {
		tb.Fatal(err)
	}
	return n
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func nearTol(p *float64, want, tol float64) bool { return p != nil && math.Abs(*p-want) <= tol }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
