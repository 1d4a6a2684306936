package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/backlog-health/analyzer/internal/report"
)

// deliveryCollector exposes the report delivery's state on /metrics, read at
// scrape time: the weeks held back for data by reason, the oldest held-back
// site's as-of time, and deliveries sent and failed since start.
type deliveryCollector struct{ status *report.DeliveryStatus }

var (
	descWaiting = prometheus.NewDesc("analyzer_report_weeks_waiting",
		"Report weeks the last delivery pass held back because a site's data was missing or stale, by reason.", []string{"reason"}, nil)
	descWaitingAsOf = prometheus.NewDesc("analyzer_report_waiting_data_as_of_timestamp_seconds",
		"As-of time of the data a held-back report week waits on (0: no completed sync), by week and site.", []string{"week", "site"}, nil)
	descDeliveries = prometheus.NewDesc("analyzer_report_deliveries_total",
		"Report deliveries attempted by delivery passes since start, by result.", []string{"result"}, nil)
)

func (c deliveryCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descWaiting
	ch <- descWaitingAsOf
	ch <- descDeliveries
}

func (c deliveryCollector) Collect(ch chan<- prometheus.Metric) {
	byReason := map[string]float64{report.WaitNoData: 0, report.WaitStale: 0}
	for _, w := range c.status.Waiting() {
		byReason[w.Reason]++
		asOf := 0.0
		if w.AsOf != nil {
			asOf = float64(w.AsOf.Unix())
		}
		ch <- prometheus.MustNewConstMetric(descWaitingAsOf, prometheus.GaugeValue, asOf, w.Week.String(), w.SiteID)
	}
	for reason, n := range byReason {
		ch <- prometheus.MustNewConstMetric(descWaiting, prometheus.GaugeValue, n, reason)
	}
	sent, failed := c.status.Counts()
	ch <- prometheus.MustNewConstMetric(descDeliveries, prometheus.CounterValue, float64(sent), "sent")
	ch <- prometheus.MustNewConstMetric(descDeliveries, prometheus.CounterValue, float64(failed), "failed")
}
