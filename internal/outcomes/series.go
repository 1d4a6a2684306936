package outcomes

import "time"

func alignment(done []Delivered, linked func(string, []string, []string, []string) bool, from, to time.Time) Alignment {
	al := Alignment{From: from, To: to, Basis: "points"}
	for _, d := range done {
		if d.DoneAt.Before(from) || !d.DoneAt.Before(to) {
			continue
		}
		al.DeliveredPoints += d.Points
		al.DeliveredIssues++
		if linked(d.Epic, d.Labels, d.Components, d.FixVersions) {
			al.LinkedPoints += d.Points
			al.LinkedIssues++
		}
	}
	switch {
	case al.DeliveredPoints > 0:
		al.Ratio = ptr(al.LinkedPoints / al.DeliveredPoints)
	case al.DeliveredIssues > 0:
		al.Basis = "issues"
		al.Ratio = ptr(float64(al.LinkedIssues) / float64(al.DeliveredIssues))
	}
	return al
}

// weekly aggregates a metric's values of one segment per ISO week start.
func weekly(m Metric, values []Value, segment string) (map[time.Time]float64, map[time.Time]int) {
	type acc struct {
		sum, last float64
		lastDate  time.Time
		n         int
	}
	by := map[time.Time]*acc{}
	for _, v := range values {
		if v.Metric != m.Name || v.Segment != segment {
			continue
		}
		w := weekStart(v.Date)
		a := by[w]
		if a == nil {
			a = &acc{}
			by[w] = a
		}
		a.sum += v.Value
		a.n++
		if a.n == 1 || !v.Date.Before(a.lastDate) {
			a.last, a.lastDate = v.Value, v.Date
		}
	}
	vals, counts := map[time.Time]float64{}, map[time.Time]int{}
	for w, a := range by {
		switch m.Aggregate {
		case AggregateMean:
			vals[w] = a.sum / float64(a.n)
		case AggregateSum:
			vals[w] = a.sum
		default:
			vals[w] = a.last
		}
		counts[w] = a.n
	}
	return vals, counts
}

// meanOver averages the weekly values of the n weeks starting at from.
func meanOver(vals map[time.Time]float64, from time.Time, n int) (*float64, int) {
	sum, k := 0.0, 0
	for i := range n {
		if v, ok := vals[from.AddDate(0, 0, 7*i)]; ok {
			sum += v
			k++
		}
	}
	if k == 0 {
		return nil, 0
	}
	return ptr(sum / float64(k)), k
}
