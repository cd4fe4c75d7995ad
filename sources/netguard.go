package sources

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/net/idna"
)

// ErrForbiddenAddress means a URL Herald found in fetched content (an item
// link followed for full text, a redirect) leads to a loopback, private,
// link-local or otherwise non-public address, which Herald does not fetch
// unless FetchConfig.AllowHosts allows it. Otherwise a feed could make
// Herald fetch a cloud metadata endpoint or an intranet page and republish
// what it says to the world.
var ErrForbiddenAddress = errors.New("address is not public")

// Resolver looks up a host's addresses; *net.Resolver implements it. It is
// a seam for tests.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DialFunc dials a network address, like net.Dialer.DialContext.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// nonPublic lists the address ranges a content URL may not reach: every
// special-purpose block of the IANA IPv4 and IPv6 registries that is not
// globally reachable, plus multicast.
var nonPublic = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this network"
		"10.0.0.0/8",      // private
		"100.64.0.0/10",   // carrier-grade NAT
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link-local, cloud metadata (169.254.169.254)
		"172.16.0.0/12",   // private
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation
		"192.88.99.0/24",  // 6to4 relay anycast (deprecated)
		"192.168.0.0/16",  // private
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation
		"203.0.113.0/24",  // documentation
		"224.0.0.0/4",     // multicast
		"240.0.0.0/4",     // reserved, broadcast
		"::/128",          // unspecified
		"::1/128",         // loopback
		"64:ff9b:1::/48",  // local-use NAT64
		"100::/64",        // discard-only
		"2001::/23",       // IETF protocol assignments (Teredo, ORCHID, …)
		"2001:db8::/32",   // documentation
		"3fff::/20",       // documentation
		"5f00::/16",       // segment routing SIDs
		"fc00::/7",        // unique local
		"fe80::/10",       // link-local
		"fec0::/10",       // site-local (deprecated)
		"ff00::/8",        // multicast
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// nat64, sixToFour and v4Compat embed an IPv4 address, which decides for
// them.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
	// v4Compat is the deprecated IPv4-compatible form (::127.0.0.1). It
	// holds :: and ::1 too, whose embedded IPv4 (0.0.0.0, 0.0.0.1) is
	// not public either.
	v4Compat = netip.MustParsePrefix("::/96")
)

// publicAddr reports whether a is a globally reachable unicast address.
// IPv4-mapped, IPv4-compatible, NAT64 and 6to4 IPv6 addresses are judged
// by the IPv4 address they carry, so ::ffff:127.0.0.1 and ::127.0.0.1 are
// loopback.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	if !a.IsValid() {
		return false
	}
	if a.Is6() {
		b := a.As16()
		switch {
		case v4Compat.Contains(a), nat64.Contains(a):
			return publicAddr(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(a):
			return publicAddr(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// parseHostIP reads host as an IP address, including the legacy IPv4
// spellings that inet_aton and many HTTP clients accept and Go's parser
// does not: decimal ("2130706433"), octal ("0177.0.0.1"), hexadecimal
// ("0x7f.1") and short forms ("127.1"). A host in one of those spellings
// must not get past the address rules by looking like a name.
func parseHostIP(host string) (netip.Addr, bool) {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if a, err := netip.ParseAddr(host); err == nil {
		return a, true
	}
	return parseLegacyIPv4(host)
}

func parseLegacyIPv4(host string) (netip.Addr, bool) {
	host = strings.TrimSuffix(host, ".") // "127.0.0.1." is the same address
	parts := strings.Split(host, ".")
	if len(parts) == 0 || len(parts) > 4 {
		return netip.Addr{}, false
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		n, ok := parseInetNumber(p)
		if !ok {
			return netip.Addr{}, false
		}
		nums[i] = n
	}
	// The last part fills all the bytes the earlier ones leave.
	var v uint64
	for i, n := range nums[:len(nums)-1] {
		if n > 0xff {
			return netip.Addr{}, false
		}
		v |= n << (8 * (3 - i))
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(4-(len(nums)-1))) {
		return netip.Addr{}, false
	}
	v |= last
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// parseInetNumber reads one part of an inet_aton address: decimal, octal
// with a leading 0, or hexadecimal with 0x.
func parseInetNumber(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := 10
	switch {
	case len(s) > 1 && (s[:2] == "0x" || s[:2] == "0X"):
		base, s = 16, s[2:]
		if s == "" {
			return 0, true // "0x" is zero to inet_aton
		}
	case len(s) > 1 && s[0] == '0':
		base, s = 8, s[1:]
	}
	n, err := strconv.ParseUint(s, base, 32)
	return n, err == nil
}

// guard is the address policy for URLs found in content (item links
// followed for full text, redirects, feeds an OPML document lists) of one
// configured URL, the origin. They must lead to public addresses, on the
// origin's own host too: a hostile upstream controls its name's DNS and
// could point it at 169.254.169.254. Two exceptions: hosts the config
// allows (fetch.allow_hosts), and the origin's host when the operator
// wrote it as an IP address (on the origin's port, 80 or 443, so an
// intranet feed at http://10.0.0.5/ may redirect to https and link to its
// own pages). The configured URL itself is not fetched through a guard:
// see Fetcher.client. Each origin gets its own transport and so its own
// pool of connections, so a connection made under one origin's exception
// is never reused for another's content.
type guard struct {
	originIP   netip.Addr // the origin's host when it is an IP address
	originPort string
	allow      hostAllowList
	resolver   Resolver
	dial       DialFunc
	proxies    sync.Map // host:port of the proxies the environment named → true
}

func newGuard(origin string, allow hostAllowList, r Resolver, dial DialFunc) *guard {
	g := &guard{allow: allow, resolver: r, dial: dial}
	if host, port, err := net.SplitHostPort(origin); err == nil {
		// Only an address as Go's dialer reads it: a legacy spelling
		// such as 2130706433 is a name to the dialer, not an address the
		// operator wrote.
		if ip, err := netip.ParseAddr(host); err == nil {
			g.originIP, g.originPort = ip, port
		}
	}
	return g
}

// dialContext is the transport's DialContext. Unless the address is the
// origin's own or allowed, it resolves the name itself, checks every
// address, and dials the checked address: a name that resolves to a
// public address for a check and to a private one for the connection (DNS
// rebinding) gets no chance.
func (g *guard) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if _, ok := g.proxies.Load(strings.ToLower(addr)); ok {
		return g.dial(ctx, network, addr)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if g.originAddr(host, port) || g.allow.name(host) {
		return g.dial(ctx, network, addr)
	}
	ips, err := g.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for _, ip := range ips {
		conn, err := g.dial(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// lookup resolves host and checks every address it has. A name with one
// non-public address is refused whole: a public address beside it would
// not make fetching it safe.
func (g *guard) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, ok := parseHostIP(host); ok {
		if !publicAddr(ip) && !g.allow.addr(ip) {
			return nil, fmt.Errorf("%w: %s (list the address in fetch.allow_hosts to allow it)", ErrForbiddenAddress, ip.Unmap())
		}
		return []netip.Addr{ip}, nil
	}
	ips, err := g.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(ips) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	for _, ip := range ips {
		if !publicAddr(ip) && !g.allow.addr(ip) {
			return nil, fmt.Errorf("%w: %s is %s (list the host in fetch.allow_hosts to allow it)", ErrForbiddenAddress, host, ip.Unmap())
		}
	}
	return ips, nil
}

// originAddr reports whether host:port is the origin's IP address, on its
// own port, 80 or 443. A name never is: what it resolves to is the name
// owner's choice, not the operator's.
func (g *guard) originAddr(host, port string) bool {
	if !g.originIP.IsValid() {
		return false
	}
	ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return err == nil && ip == g.originIP && (port == g.originPort || port == "80" || port == "443")
}

// proxy is the transport's Proxy: the one the environment names
// (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), which the operator chose and so is
// dialed as written. Through a proxy Herald cannot see the address the
// proxy connects to, so the target's name is checked here, before each
// request, by the same rule as a direct connection; that check cannot stop
// DNS rebinding behind the proxy.
func (g *guard) proxy(req *http.Request) (*url.URL, error) {
	pu, err := http.ProxyFromEnvironment(req)
	if pu == nil || err != nil {
		return pu, err
	}
	g.proxies.Store(strings.ToLower(hostPort(pu.String())), true)
	_, port, _ := net.SplitHostPort(hostPort(req.URL.String()))
	host := req.URL.Hostname()
	if !g.originAddr(host, port) && !g.allow.name(host) {
		if _, err := g.lookup(req.Context(), host); err != nil {
			return nil, err
		}
	}
	return pu, nil
}

// hostPort returns the host:port an http(s) URL connects to, spelled as
// net/http's transport spells the address it dials: the host in ASCII
// (IDNA), lower-case, and the scheme's port when none is given. It returns
// "" for a URL it cannot read.
func hostPort(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	host := u.Hostname()
	if ascii, err := idna.Lookup.ToASCII(host); err == nil {
		host = ascii
	}
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		case "socks5", "socks5h":
			port = "1080"
		default:
			port = "80"
		}
	}
	return strings.ToLower(net.JoinHostPort(host, port))
}

// hostAllowList is FetchConfig.AllowHosts, parsed: names (a leading "*."
// matches any subdomain) and IP addresses or CIDR prefixes.
type hostAllowList struct {
	names    []string
	suffixes []string
	prefixes []netip.Prefix
}

func parseAllowHosts(list []string) (hostAllowList, error) {
	var al hostAllowList
	for _, raw := range list {
		s := strings.ToLower(strings.TrimSpace(raw))
		switch {
		case s == "":
			return al, errors.New("allow_hosts: empty entry")
		case strings.Contains(s, "/"):
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return al, fmt.Errorf("allow_hosts: %q: %w", raw, err)
			}
			al.prefixes = append(al.prefixes, p.Masked())
		case strings.HasPrefix(s, "*."):
			al.suffixes = append(al.suffixes, s[1:])
		default:
			if ip, ok := parseHostIP(s); ok {
				al.prefixes = append(al.prefixes, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
				continue
			}
			al.names = append(al.names, strings.TrimSuffix(s, "."))
		}
	}
	return al, nil
}

func (al hostAllowList) name(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, n := range al.names {
		if host == n {
			return true
		}
	}
	for _, s := range al.suffixes {
		if strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}

func (al hostAllowList) addr(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	for _, p := range al.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
