package dashboard

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// secure sets the security headers on every answer and lets only
// authenticated requests through: 401 with no body otherwise.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if !s.authenticated(r) {
			if s.cfg.Auth.BasicUser != "" {
				h.Set("WWW-Authenticate", `Basic realm="analyzer", charset="UTF-8"`)
			} else if s.cfg.Auth.Token != "" {
				h.Set("WWW-Authenticate", `Bearer realm="analyzer"`)
			}
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authenticated: no authentication configured (the server then listens on
// loopback only, see CheckListen), a matching bearer token, basic
// credentials whose password matches the bcrypt hash, or the trusted
// header from a trusted proxy.
func (s *Server) authenticated(r *http.Request) bool {
	a := s.cfg.Auth
	if !a.AuthConfigured() {
		return true
	}
	if a.Token != "" {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok &&
			subtle.ConstantTimeCompare([]byte(tok), []byte(a.Token)) == 1 {
			return true
		}
	}
	if a.BasicUser != "" {
		if u, p, ok := r.BasicAuth(); ok && subtle.ConstantTimeCompare([]byte(u), []byte(a.BasicUser)) == 1 &&
			bcrypt.CompareHashAndPassword([]byte(a.BasicPasswordHash), []byte(p)) == nil {
			return true
		}
	}
	if a.TrustedHeader != "" && r.Header.Get(a.TrustedHeader) != "" {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		ip := net.ParseIP(host)
		if err == nil && ip != nil {
			for _, n := range s.proxies {
				if n.Contains(ip) {
					return true
				}
			}
		}
	}
	return false
}

// CheckListen refuses to serve the dashboard on a non-loopback address
// without authentication.
func CheckListen(addr string, authConfigured bool) error {
	if authConfigured {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return &ListenError{Addr: addr, Reason: "want host:port"}
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return &ListenError{Addr: addr, Reason: "not a loopback address and no dashboard authentication is configured (dashboard.token, dashboard.basic_user or dashboard.trusted_header)"}
}

// ListenError says why an address was refused.
type ListenError struct{ Addr, Reason string }

func (e *ListenError) Error() string {
	return "dashboard: refusing to serve on " + e.Addr + ": " + e.Reason
}
