// Package jiratest holds test servers that misbehave the way networks do,
// for the tests of the packages that talk to Jira.
package jiratest

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// HungServer accepts TCP connections and never answers, like a stalled VPN
// or proxy. It returns its address (host:port), counts the connections, and
// holds each until the test ends.
func HungServer(tb testing.TB) (addr string, accepted *atomic.Int32) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	accepted = new(atomic.Int32)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	tb.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String(), accepted
}
