// Package docs embeds the pages the reports' definition links point at, so
// that the binary can serve them on networks that cannot reach GitHub
// (report.DefinitionsHandler). It sits next to the pages because
// //go:embed cannot reach "..".
package docs

import "embed"

// Definitions holds metrics.md (the KPI definitions) and outcomes.md (the
// outcome metrics and their analysis).
//
//go:embed metrics.md outcomes.md
var Definitions embed.FS
