// Package storetest opens a migrated store on a fresh test database.
package storetest

import (
	"context"
	"testing"

	"github.com/backlog-health/analyzer/internal/pgtest"
	"github.com/backlog-health/analyzer/internal/store"
)

// MustOpen returns a store on a new, fully migrated database (see
// pgtest.NewDatabase), closed and dropped when the test ends. The test
// binary's TestMain must run pgtest.Main.
func MustOpen(tb testing.TB) *store.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, pgtest.NewDatabase(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	if _, err := s.Migrate(ctx, nil); err != nil {
		tb.Fatal(err)
	}
	return s
}
