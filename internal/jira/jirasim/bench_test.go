package jirasim

import (
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"testing"
	"time"
)

// serveOnce answers one request in-process (no network) and fails on non-200.
func serveOnce(b *testing.B, sv *Server, method, target string) *recorder {
	req, _ := http.NewRequest(method, "http://jira.test"+target, nil)
	auth(req, sv.cfg.Mode)
	rec := newRecorder()
	sv.ServeHTTP(rec, req)
	if rec.status != 200 {
		b.Fatalf("%s: %d %.200s", target, rec.status, rec.body.String())
	}
	return rec
}

// searchPages precomputes the /search/jql page URLs of one sync-style query
// (all fields, changelog, 100 per page), walking nextPageToken.
func searchPages(b *testing.B, sv *Server, project string, n int) []string {
	jql := fmt.Sprintf(`project = %s AND updated >= "2000-01-01 00:00" ORDER BY updated ASC`, project)
	base := "/rest/api/3/search/jql?fields=*all&expand=changelog&maxResults=100&jql=" + url.QueryEscape(jql)
	pages := []string{base}
	for offset := 100; len(pages) < n; offset += 100 {
		pages = append(pages, base+"&nextPageToken="+encodeToken(jql, offset, time.Time{}))
	}
	return pages
}

// BenchmarkSearchJQLPage100k serves /search/jql pages of 100 issues with all
// fields and embedded changelogs from a 100,000-issue Cloud site.
func BenchmarkSearchJQLPage100k(b *testing.B) {
	sv, err := New(Config{Issues: 100_000, Teams: 10})
	if err != nil {
		b.Fatal(err)
	}
	pages := searchPages(b, sv, "PHX", 100) // PHX holds 10,000 issues: 100 pages
	serveOnce(b, sv, "GET", pages[0])       // builds the index
	b.ReportAllocs()
	b.ResetTimer()
	var bytes int64
	for i := 0; i < b.N; i++ {
		bytes += int64(serveOnce(b, sv, "GET", pages[i%len(pages)]).body.Len())
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
	b.ReportMetric(float64(bytes)/float64(b.N)/1024, "KiB/page")
}

// BenchmarkDCSearchPage100k is the same on Data Center's /rest/api/2/search.
func BenchmarkDCSearchPage100k(b *testing.B) {
	sv, err := New(Config{Mode: ModeDC, Issues: 100_000, Teams: 10})
	if err != nil {
		b.Fatal(err)
	}
	base := "/rest/api/2/search?expand=changelog&maxResults=100&jql=" + url.QueryEscape("project = PHX ORDER BY key")
	serveOnce(b, sv, "GET", base)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		serveOnce(b, sv, "GET", fmt.Sprintf("%s&startAt=%d", base, (i%100)*100))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}

// BenchmarkMemoryFlat serves the same page from sites of 10k, 100k and 1M
// issues and reports B/op per page and the heap in use after the site and
// its search index exist. Issues are generated on demand: only the 24-byte
// index entry per issue grows with the site.
func BenchmarkMemoryFlat(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("issues=%d", n), func(b *testing.B) {
			if testing.Short() && n > 100_000 {
				b.Skip("1M issues in -short mode")
			}
			var before runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			sv, err := New(Config{Issues: n, Teams: 10})
			if err != nil {
				b.Fatal(err)
			}
			pages := searchPages(b, sv, "ATL", 5)
			serveOnce(b, sv, "GET", pages[0])
			var after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				serveOnce(b, sv, "GET", pages[i%len(pages)])
			}
			b.StopTimer()
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
			runtime.KeepAlive(sv)
		})
	}
}

// BenchmarkIssueGet serves one issue with its changelog.
func BenchmarkIssueGet(b *testing.B) {
	sv, err := New(Config{Issues: 100_000, Teams: 10})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		serveOnce(b, sv, "GET", fmt.Sprintf("/rest/api/2/issue/PHX-%d?expand=changelog", 1+i%10000))
	}
}
