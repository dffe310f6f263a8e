package auth0

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// loadRoots starts loading the system trust store in the background, once
// per process. The first TLS handshake needs it only when the server's
// certificate arrives, a round trip or more after the TCP dial starts, and
// loading it takes milliseconds of CPU: dials start it, so that it runs
// while the process waits for the network rather than on the way.
func loadRoots() {
	rootsOnce.Do(func() { go loadSystemRoots() })
}

var (
	rootsOnce       sync.Once
	loadSystemRoots = func() { _, _ = x509.SystemCertPool() }
)

// Preconnect opens, in the background, the TLS connection to the tenant
// that the client's first request will use, and returns at once. A first
// request made while it is still opening waits for it instead of opening
// another; if it fails, the request opens its own, as without Preconnect.
// It sends no request, is bounded by DialTimeout for the TCP connection
// and again for the TLS handshake, and ends early if ctx does.
//
// It works on a client that made its own HTTP client (NewClient with a nil
// *http.Client), to an https tenant reached without a proxy; otherwise it
// does nothing. Call it once, at start.
func (c *Client) Preconnect(ctx context.Context) {
	if c.ahead == nil {
		return
	}
	u, err := url.Parse(c.cfg.BaseURL)
	if err != nil || u.Scheme != "https" {
		return
	}
	if c.ahead.tr.Proxy != nil {
		if proxy, err := c.ahead.tr.Proxy(&http.Request{URL: u}); err != nil || proxy != nil {
			return
		}
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	// The transport completes its TLS settings (HTTP/2's ALPN) on first
	// use: have it do so now, then read them here, before a request could
	// be running.
	c.ahead.tr.CloseIdleConnections()
	c.ahead.start(ctx, net.JoinHostPort(u.Hostname(), port), c.ahead.tr.TLSClientConfig)
}

// dialAhead is the TLS dialer of a transport that the client owns: it
// dials as the transport would, and hands the connection Preconnect opened
// to the first dial for its address.
type dialAhead struct {
	tr      *http.Transport
	mu      sync.Mutex
	pending map[string]*predial // by host:port; taken by the first dial
}

type predial struct {
	done   chan struct{}
	conn   net.Conn // nil if the dial failed
	opened time.Time
}

// withDialAhead makes tr's TLS connections through a dialAhead.
func withDialAhead(tr *http.Transport) *dialAhead {
	d := &dialAhead{tr: tr, pending: map[string]*predial{}}
	tr.DialTLSContext = d.dialTLS
	return d
}

func (d *dialAhead) start(ctx context.Context, addr string, tlsConfig *tls.Config) {
	p := &predial{done: make(chan struct{})}
	d.mu.Lock()
	if _, ok := d.pending[addr]; ok {
		d.mu.Unlock()
		return
	}
	d.pending[addr] = p
	d.mu.Unlock()
	go func() {
		defer close(p.done)
		conn, err := d.dial(ctx, "tcp", addr, tlsConfig)
		if err == nil {
			p.conn, p.opened = conn, time.Now()
		}
	}()
}

// dialTLS is the transport's DialTLSContext.
func (d *dialAhead) dialTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	p := d.pending[addr]
	delete(d.pending, addr)
	d.mu.Unlock()
	if p != nil {
		select {
		case <-p.done:
			// Older than the pool keeps an idle connection: it may be
			// closed at the other end; a new one is safer.
			if p.conn != nil && (d.tr.IdleConnTimeout == 0 || time.Since(p.opened) < d.tr.IdleConnTimeout) {
				return p.conn, nil
			}
			if p.conn != nil {
				p.conn.Close()
			}
		case <-ctx.Done():
			go func() {
				<-p.done
				if p.conn != nil {
					p.conn.Close()
				}
			}()
			return nil, ctx.Err()
		}
	}
	return d.dial(ctx, network, addr, d.tr.TLSClientConfig)
}

// dial opens a TLS connection as http.Transport does itself: its
// DialContext, the TLS settings it completed (ALPN for HTTP/2), the
// handshake bounded by TLSHandshakeTimeout.
func (d *dialAhead) dial(ctx context.Context, network, addr string, tlsConfig *tls.Config) (net.Conn, error) {
	loadRoots()
	dctx, cancel := context.WithTimeout(ctx, DialTimeout)
	defer cancel()
	dialContext := d.tr.DialContext
	if dialContext == nil {
		dialContext = (&net.Dialer{}).DialContext
	}
	raw, err := dialContext(dctx, network, addr)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{}
	if tlsConfig != nil {
		cfg = tlsConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName, _, _ = net.SplitHostPort(addr)
	}
	hctx := ctx
	if d.tr.TLSHandshakeTimeout > 0 {
		var hcancel context.CancelFunc
		hctx, hcancel = context.WithTimeout(ctx, d.tr.TLSHandshakeTimeout)
		defer hcancel()
	}
	conn := tls.Client(raw, cfg)
	if err := conn.HandshakeContext(hctx); err != nil {
		raw.Close()
		return nil, err
	}
	return conn, nil
}
