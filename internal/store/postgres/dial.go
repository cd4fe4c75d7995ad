package postgres

import (
	"context"
	"net"
	"syscall"
)

// Client-side TCP settings of every connection (the pool's and the
// dedicated ones). Without them a connection to a database host that
// vanished (no FIN, no RST: a crash, a cut cable, a dropped VM) hangs a
// query until TCP gives up, a quarter of an hour later: the leader would
// go on "collecting", blocked in a save, long after another replica took
// over, and a follower would not know it is cut off. With them such a
// connection fails within about the timing's userTimeout: keepalives
// probe an idle one, the user timeout bounds one whose data goes
// unacknowledged.
func (tm timing) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{KeepAliveConfig: tm.keepAlive, Control: func(network, _ string, c syscall.RawConn) error {
		if network != "tcp" && network != "tcp4" && network != "tcp6" {
			return nil // a unix socket: the server is on this host
		}
		return setUserTimeout(c, tm.userTimeout)
	}}
	return d.DialContext(ctx, network, addr)
}
