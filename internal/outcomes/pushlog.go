package outcomes

import (
	"cmp"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// PushOptions tune NewHandler; zero fields take the defaults.
type PushOptions struct {
	Logger *slog.Logger
	// RefusedLogInterval: at most one "outcome push refused" warning per
	// client host per interval; the next one carries the number suppressed
	// in between. Default 10s.
	RefusedLogInterval time.Duration
	// Now is the throttle's clock. Default time.Now.
	Now func() time.Time
}

// maxThrottled bounds the hosts remembered; beyond it, hosts share one
// budget so a spoofing flood cannot grow the map.
const maxThrottled = 4096

// logThrottle decides which refused pushes get a log line.
type logThrottle struct {
	interval time.Duration
	now      func() time.Time
	mu       sync.Mutex
	hosts    map[string]*throttled
}

type throttled struct {
	last       time.Time
	suppressed int
}

func newLogThrottle(interval time.Duration, now func() time.Time) *logThrottle {
	if now == nil {
		now = time.Now
	}
	return &logThrottle{interval: cmp.Or(interval, 10*time.Second), now: now, hosts: map[string]*throttled{}}
}

// allow reports whether to log for host now and how many lines were
// suppressed for it since the last one.
func (t *logThrottle) allow(host string) (bool, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	e := t.hosts[host]
	if e == nil {
		if len(t.hosts) >= maxThrottled {
			for h, old := range t.hosts {
				if now.Sub(old.last) >= t.interval && old.suppressed == 0 {
					delete(t.hosts, h)
				}
			}
			if len(t.hosts) >= maxThrottled {
				host = "*"
				e = t.hosts[host]
			}
		}
		if e == nil {
			t.hosts[host] = &throttled{last: now}
			return true, 0
		}
	}
	if now.Sub(e.last) < t.interval {
		e.suppressed++
		return false, 0
	}
	n := e.suppressed
	e.last, e.suppressed = now, 0
	return true, n
}

// remoteHost is the host part of r.RemoteAddr (the port changes per
// connection).
func remoteHost(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}
