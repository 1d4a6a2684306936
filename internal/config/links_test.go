package config_test

import (
	"strings"
	"testing"

	"github.com/backlog-health/analyzer/internal/config"
)

// http.public_url and report.definitions_url: defaults, the file, the
// environment, the derived definitions base, and refused values.
func TestLinkKeys(t *testing.T) {
	cfg, err := config.Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	// Neither set: no dashboard, and the report keeps its built-in definitions URL ("").
	if cfg.HTTP.PublicURL != "" || cfg.Report.DefinitionsURL != "" || cfg.DefinitionsBaseURL() != "" {
		t.Fatalf("defaults: public_url %q definitions_url %q base %q", cfg.HTTP.PublicURL, cfg.Report.DefinitionsURL, cfg.DefinitionsBaseURL())
	}
	// public_url alone: the definitions are the dashboard's /docs/.
	cfg, err = config.Load(write(t, "http:\n  public_url: https://analyzer.example.org/\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.PublicURL != "https://analyzer.example.org/" || cfg.DefinitionsBaseURL() != "https://analyzer.example.org/docs/" {
		t.Fatalf("public_url %q base %q", cfg.HTTP.PublicURL, cfg.DefinitionsBaseURL())
	}
	// definitions_url wins over public_url; the environment over the file.
	cfg, err = config.Load(write(t, "http:\n  public_url: https://analyzer.example.org\nreport:\n  definitions_url: https://wiki.example.org/kpi\n"),
		env(map[string]string{"ANALYZER_HTTP_PUBLIC_URL": "http://10.0.0.5:8080/analyzer"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.PublicURL != "http://10.0.0.5:8080/analyzer" || cfg.DefinitionsBaseURL() != "https://wiki.example.org/kpi/" {
		t.Fatalf("public_url %q base %q", cfg.HTTP.PublicURL, cfg.DefinitionsBaseURL())
	}
	cfg, err = config.Load("", env(map[string]string{"ANALYZER_REPORT_DEFINITIONS_URL": "https://docs.example.org/"}))
	if err != nil || cfg.DefinitionsBaseURL() != "https://docs.example.org/" {
		t.Fatalf("env: %v, base %q", err, cfg.DefinitionsBaseURL())
	}
	for name, c := range map[string]struct{ yaml, want string }{
		"PublicRelative": {"http:\n  public_url: /analyzer\n", "config: http.public_url: must be an absolute http(s) URL"},
		"PublicQuery":    {"http:\n  public_url: https://a.example.org/?x=1\n", "config: http.public_url: must have no query or fragment"},
		"DefsFTP":        {"report:\n  definitions_url: ftp://docs.example.org/\n", "config: report.definitions_url: must be an absolute http(s) URL"},
		"DefsFragment":   {"report:\n  definitions_url: https://docs.example.org/#x\n", "config: report.definitions_url: must have no query or fragment"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := config.Load(write(t, c.yaml), env(nil))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}
