package config

import (
	"cmp"
	"errors"
	"fmt"
)

// resolveSecrets reads the secrets given as files. The database URL is read
// here (every command but version needs it); a Jira or SQL-source secret
// that cannot be read is kept as an error for CheckJiraCredentials and
// CheckSQLSources, so that commands which never use it still start.
func resolveSecrets(cfg *Config, getenv func(string) string) error {
	if cfg.Database.URL == "" && cfg.Database.URLFile != "" {
		v, err := readSecretFile("database.url_file", cfg.Database.URLFile)
		if err != nil {
			return err
		}
		cfg.Database.URL = v
	}
	for i := range cfg.Outcomes.SQL {
		src := &cfg.Outcomes.SQL[i]
		if src.DSN == "" && src.DSNFile != "" {
			v, err := readSecretFile(fmt.Sprintf("outcomes.sql_sources[%d].dsn_file", i), src.DSNFile)
			src.DSN, src.secretErr = v, err
		}
	}
	for i := range cfg.Jira.Sites {
		s := &cfg.Jira.Sites[i]
		prefix := "ANALYZER_JIRA_" + siteEnvName(s.ID)
		for _, sec := range []struct {
			val  *string
			file string
			key  string
			env  string
		}{
			{&s.Token, s.TokenFile, "token_file", prefix + "_TOKEN"},
			{&s.PAT, s.PATFile, "pat_file", prefix + "_PAT"},
		} {
			v, err := envValue(getenv, sec.env)
			if err == nil && v == "" && sec.file != "" {
				v, err = readSecretFile(fmt.Sprintf("jira.sites[%d].%s", i, sec.key), sec.file)
			}
			if err != nil {
				s.secretErr = cmp.Or(s.secretErr, err)
				continue
			}
			if v != "" {
				*sec.val = v
			}
		}
	}
	return nil
}

// CheckJiraCredentials reports, one line per problem, every Jira site that
// lacks the credentials its flavour needs or whose secret file cannot be
// read. Load does not require them: only the commands that contact Jira
// (sync, doctor, run) call this, so that migrate, compute, report and
// outcomes import run without the Jira token.
func (c Config) CheckJiraCredentials() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", field, fmt.Sprintf(format, args...)))
	}
	for i, s := range c.Jira.Sites {
		p := fmt.Sprintf("jira.sites[%d]", i)
		if s.secretErr != nil {
			errs = append(errs, s.secretErr)
			continue
		}
		switch s.Flavor {
		case "cloud":
			if s.Email == "" {
				bad(p+".email", "is required for a cloud site (basic auth with an API token)")
			}
			if s.Token == "" {
				bad(p+".token", "is required for a cloud site: set token_file or ANALYZER_JIRA_%s_TOKEN", siteEnvName(s.ID))
			}
		case "dc":
			if s.PAT == "" {
				bad(p+".pat", "is required for a dc site: set pat_file or ANALYZER_JIRA_%s_PAT", siteEnvName(s.ID))
			}
		case "auto":
			if s.Token == "" && s.PAT == "" {
				bad(p, "needs credentials: email + token (cloud) or pat (dc)")
			}
			if s.Token != "" && s.Email == "" {
				bad(p+".email", "is required with a token (basic auth)")
			}
		}
	}
	return errors.Join(errs...)
}

// CheckSQLSources reports every SQL outcome source without a readable DSN.
// Only the commands that pull them (outcomes pull, run) call it.
func (c Config) CheckSQLSources() error {
	var errs []error
	for i, src := range c.Outcomes.SQL {
		switch {
		case src.secretErr != nil:
			errs = append(errs, src.secretErr)
		case src.DSN == "":
			errs = append(errs, fmt.Errorf("config: outcomes.sql_sources[%d].dsn: is required (or dsn_file)", i))
		}
	}
	return errors.Join(errs...)
}
