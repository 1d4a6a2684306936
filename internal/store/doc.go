// Package store persists the analyzer's data in PostgreSQL.
//
// # Shape
//
// One Store wraps one *sqlx.DB. Every exported method takes a context first,
// opens its own transaction where it writes more than one row, and is named
// noun-first (IssueUpsertMany, SprintListByBoard). Unexported helpers take a
// *sqlx.Tx so that several writes compose into one transaction.
//
// # Bulk writes
//
// Issues, changelog items and sprint events are written with
// INSERT … SELECT FROM unnest($1::text[], …) ON CONFLICT … DO UPDATE, one
// statement per batch: a page of 100 issues is one round trip, and re-writing
// the same batch leaves the same rows (idempotent upserts on Jira's natural
// keys).
//
// # Migrations
//
// The schema lives in sql/NNN_name.up.sql (embedded by the module root
// package). Migrate applies pending files one transaction each under an
// advisory lock; Open refuses a database whose schema is newer than this
// binary knows (ErrSchemaTooNew), so an old binary never writes into a newer
// schema.
package store
