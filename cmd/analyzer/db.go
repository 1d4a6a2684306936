package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/lib/pq"

	"github.com/backlog-health/analyzer/internal/dsn"
)

// ensureDatabase creates database name on the server at adminDSN when it
// does not exist yet.
func ensureDatabase(ctx context.Context, adminDSN, name string) error {
	db, err := sql.Open("postgres", adminDSN)
	if err != nil {
		return fmt.Errorf("database: %w", dsn.RedactError(adminDSN, err))
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name))
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "42P04" { // duplicate_database
		return nil
	}
	if err != nil {
		return fmt.Errorf("database: create %q: %w", name, dsn.RedactError(adminDSN, err))
	}
	return nil
}
