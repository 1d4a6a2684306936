package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/backlog-health/analyzer/internal/config"
	"github.com/backlog-health/analyzer/internal/report"
	"github.com/backlog-health/analyzer/internal/reportdata"
	"github.com/backlog-health/analyzer/internal/store"
	"github.com/backlog-health/analyzer/internal/worker"
)

// reportRetryEvery is how often the worker looks for report deliveries
// that are due besides the report schedule: weeks that waited for data,
// failed targets whose backoff has passed, weeks missed while it was down.
const reportRetryEvery = "@every 10m"

// deliveryState is the report delivery's clock and what it last saw.
type deliveryState struct {
	now    func() time.Time // default time.Now; tests inject a clock
	status report.DeliveryStatus
}

// DeliveryStatus is the report delivery's state for /metrics: the weeks
// held back for data, with the site and its as-of time, and the deliveries
// sent and failed since start.
func (m *Main) DeliveryStatus() *report.DeliveryStatus { return &m.delivery.status }

func (m *Main) now() time.Time {
	if m.delivery.now != nil {
		return m.delivery.now()
	}
	return time.Now()
}

// checkReport validates report's flags before anything is opened.
func checkReport(m *Main) error {
	if len(m.Args) > 0 {
		return usagef("report", "report: unexpected argument %q", m.Args[0])
	}
	if m.opts.week != "" {
		w, err := report.ParseISOWeek(m.opts.week)
		if err != nil {
			return usagef("report", "report: --week: %s", strings.TrimPrefix(err.Error(), "report: "))
		}
		m.opts.isoWeek = &w
	}
	if m.opts.format != "" {
		for _, f := range strings.Split(m.opts.format, ",") {
			if f != "md" && f != "html" && f != "json" {
				return usagef("report", "report: --format: want md, html or json (comma-separated), got %q", f)
			}
		}
	}
	if m.opts.deliver && m.opts.board != 0 {
		return usagef("report", "report: --deliver sends the whole report; it cannot be combined with --board")
	}
	return nil
}

// reportWeek is --week, defaulting to the last complete ISO week.
func (m *Main) reportWeek(now time.Time) report.ISOWeek {
	if m.opts.isoWeek != nil {
		return *m.opts.isoWeek
	}
	return report.LastCompleteWeek(now, m.Config.Location())
}

// buildReport reads the stored KPI snapshots of every board (or one) into
// the weekly report model (reportdata.Read, shared with the dashboard).
// Boards never computed are skipped with a warning.
func (m *Main) buildReport(ctx context.Context, s *store.Store, week report.ISOWeek, boardID int64, now time.Time) (*report.Report, error) {
	wk, err := reportdata.Read(ctx, s, week, m.Config.Location(), m.Config.Jira.Sites, boardID, m.Logger)
	if err != nil {
		return nil, err
	}
	in := report.Input{Week: week, Location: m.Config.Location(), Now: now, Forecast: forecastSettings(m.Config.Report.Forecast),
		Teams: wk.Teams(), DataAsOf: wk.DataAsOf, PublicURL: m.Config.HTTP.PublicURL, DocsBaseURL: m.Config.DefinitionsBaseURL()}
	siteURL := map[string]string{}
	for _, site := range m.Config.Jira.Sites {
		siteURL[site.ID] = site.URL
	}
	for i := range in.Teams {
		in.Teams[i].SiteURL = siteURL[in.Teams[i].SiteID]
	}
	if boardID != 0 && len(in.Teams) == 0 {
		return nil, fmt.Errorf("report: board %d has no computed KPIs (unknown board, or run `analyzer compute` first)", boardID)
	}
	outcomes, alignment, err := m.outcomeInputs(ctx, s, week, now)
	if err != nil {
		return nil, err
	}
	in.Outcomes, in.Alignment = outcomes, alignment
	r, err := report.Build(in)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return r, nil
}

// forecastSettings maps report.forecast onto the report's forecast settings.
func forecastSettings(c config.ForecastConfig) report.ForecastSettings {
	return report.ForecastSettings{Target: c.Target, HorizonWeeks: c.HorizonWeeks, ThroughputWeeks: c.ThroughputWeeks}
}

// targets returns the configured delivery targets: the directory always,
// Slack and email when configured.
func (m *Main) targets(dir string, formats []string) []report.Target {
	out := m.Config.Report.Outputs
	ts := []report.Target{report.DirTarget{Dir: dir, Formats: formats}}
	if out.Slack.WebhookURL != "" {
		ts = append(ts, report.SlackTarget{WebhookURL: out.Slack.WebhookURL})
	}
	if e := out.Email; e.Host != "" {
		ts = append(ts, report.EmailTarget{Host: e.Host, Port: e.Port, Username: e.Username, Password: e.Password,
			From: e.From, To: e.To, StartTLS: e.StartTLS == nil || *e.StartTLS})
	}
	return ts
}

// scheduler returns the report delivery over s to targets: the data check
// (report.max_data_age), the catch-up window (report.catch_up_weeks), claims
// with a short lease and a heartbeat, and backoff for failed targets.
func (m *Main) scheduler(s *store.Store, targets []report.Target) (*report.Scheduler, error) {
	due, err := config.CronParser.Parse(m.Config.Schedule.Report)
	if err != nil {
		return nil, fmt.Errorf("report: schedule.report: %w", err)
	}
	return &report.Scheduler{
		Store: s, Targets: targets, Location: m.Config.Location(), Due: due,
		Build: func(ctx context.Context, week report.ISOWeek, now time.Time) (*report.Report, error) {
			return m.buildReport(ctx, s, week, 0, now)
		},
		CatchUpWeeks: m.Config.Report.CatchUpWeeks, MaxDataAge: m.Config.Report.MaxDataAge,
		Now: m.now, Deliverer: report.Deliverer{Retries: 2}, Logger: m.Logger, Status: &m.delivery.status,
	}, nil
}

// countSent adds the pass's deliveries to the worker's counter.
func (m *Main) countSent(res report.PassResult) {
	if m.workerStats != nil && res.Sent > 0 {
		m.workerStats.Add("analyzer_reports_sent_total", float64(res.Sent))
	}
}

func runReport(ctx context.Context, m *Main, _ []string) error {
	s, err := m.Store(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	week := m.reportWeek(now)
	formats := m.Config.Report.Formats
	if m.opts.format != "" {
		formats = strings.Split(m.opts.format, ",") // checked by checkReport
	}
	dir := m.opts.out
	if dir == "" {
		dir = m.Config.Report.Outputs.Dir
	}
	if m.opts.deliver {
		if m.opts.board != 0 {
			return fmt.Errorf("%w: --deliver sends the whole report; it cannot be combined with --board", errUsage)
		}
		sch, err := m.scheduler(s, m.targets(dir, formats))
		if err != nil {
			return err
		}
		res, err := sch.DeliverWeek(ctx, week)
		fmt.Fprintf(m.Stdout, "report %s delivered to %d target(s)\n", week, res.Sent)
		return err
	}
	r, err := m.buildReport(ctx, s, week, m.opts.board, now)
	if err != nil {
		return err
	}
	rendered, err := report.Render(r)
	if err != nil {
		return fmt.Errorf("report: render: %w", err)
	}
	dt := report.DirTarget{Dir: dir, Formats: formats}
	if err := dt.Deliver(ctx, rendered); err != nil {
		return err
	}
	for _, p := range dt.Paths(rendered) {
		fmt.Fprintln(m.Stdout, p)
	}
	return nil
}

// reportJobs returns the report jobs: on the report schedule, and every 10
// minutes for what is still due (a week that waited for data, a failed
// target whose backoff has passed, weeks missed while the worker was down).
// Both run the same pass; claims keep them and other replicas from sending
// a (week, target) twice.
func (m *Main) reportJobs() []worker.Job {
	pass := func(ctx context.Context) error {
		s, err := m.Store(ctx)
		if err != nil {
			return err
		}
		sch, err := m.scheduler(s, m.targets(m.Config.Report.Outputs.Dir, m.Config.Report.Formats))
		if err != nil {
			return err
		}
		res, err := sch.Run(ctx)
		m.countSent(res)
		return err
	}
	return []worker.Job{
		{Name: "report", Spec: m.Config.Schedule.Report, Run: pass},
		{Name: "report-retry", Spec: reportRetryEvery, Run: pass},
	}
}
