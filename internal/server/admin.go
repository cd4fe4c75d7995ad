package server

import (
	"net"
	"net/netip"
	"strings"
)

// The operator listener is usually on loopback or a private network,
// which a browser can still reach: a web page whose name the attacker
// rebinds to 127.0.0.1 (DNS rebinding) is same-origin with what it then
// fetches, and could read /status and the detailed /healthz. Such a
// request carries the attacker's name in Host, so the operator listener
// answers only hosts it knows (421 Misdirected Request otherwise):
// localhost, IP addresses (a page at an IP address is not the attacker's
// origin), and Options.AdminHosts. The public listener needs no such
// check: its operator endpoints want a bearer token, which a browser does
// not send on its own.

// adminHost reports whether the operator listener answers a request for
// host (the Host header, with or without port).
func (s *Server) adminHost(host string) bool {
	if host == "" {
		// An HTTP/1.0 client without Host: not a browser.
		return true
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), ".")
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	for _, h := range s.adminHosts {
		if strings.EqualFold(host, strings.TrimSuffix(h, ".")) {
			return true
		}
	}
	return false
}
