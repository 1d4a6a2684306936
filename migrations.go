package analyzer

import "embed"

// Migrations holds the numbered schema migrations (sql/NNN_name.up.sql and
// .down.sql). It lives at the module root because //go:embed cannot reach "..":
// internal/store reads it from here.
//
//go:embed sql/*.sql
var Migrations embed.FS
