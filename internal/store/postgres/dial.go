package postgres

import (
	"context"
	"net"
	"syscall"
	"time"
)

// Client-side TCP settings of every connection (the pool's and the
// dedicated ones). Without them a connection to a database host that
// vanished (no FIN, no RST: a crash, a cut cable, a dropped VM) hangs a
// query until TCP gives up, a quarter of an hour later: the leader would
// go on "collecting", blocked in a save, long after another replica took
// over, and a follower would not know it is cut off. With them such a
// connection fails within about userTimeout: keepalives probe an idle
// one (after 5 s, every 2 s, 3 times), the user timeout bounds one whose
// data goes unacknowledged.
var keepAlive = net.KeepAliveConfig{Enable: true, Idle: 5 * time.Second, Interval: 2 * time.Second, Count: 3}

// dial is the connections' DialFunc.
func dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{KeepAliveConfig: keepAlive, Control: func(network, _ string, c syscall.RawConn) error {
		if network != "tcp" && network != "tcp4" && network != "tcp6" {
			return nil // a unix socket: the server is on this host
		}
		return setUserTimeout(c, userTimeout)
	}}
	return d.DialContext(ctx, network, addr)
}
