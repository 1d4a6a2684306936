package store

// MigrationsFromFS exposes the file-name checks to tests.
var MigrationsFromFS = migrationsFromFS
