package auth0

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tlsTenant is an https Auth0 double that counts the connections it
// accepted and the requests it answered, and a client of it made as
// production makes it (NewClient with a nil *http.Client), whose dials go
// through hook.
type tlsTenant struct {
	srv      *httptest.Server
	conns    atomic.Int32
	requests atomic.Int32
	proto    atomic.Int32 // ProtoMajor of the last request
	client   *Client
	dials    atomic.Int32
}

func newTLSTenant(t *testing.T, h2 bool, hook func(n int32) error) *tlsTenant {
	t.Helper()
	tt := &tlsTenant{}
	tt.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tt.requests.Add(1)
		tt.proto.Store(int32(r.ProtoMajor))
		w.Write([]byte(`{"access_token":"at","token_type":"Bearer","expires_in":60}`))
	}))
	tt.srv.EnableHTTP2 = h2
	tt.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			tt.conns.Add(1)
		}
	}
	tt.srv.StartTLS()
	t.Cleanup(tt.srv.Close)
	tt.client = NewClient(Config{BaseURL: tt.srv.URL, ClientID: "cid", Audience: "https://api", Connection: "db", Scope: "openid"}, nil)
	tr := tt.client.http.Transport.(*http.Transport)
	t.Cleanup(tr.CloseIdleConnections)
	roots := x509.NewCertPool()
	roots.AddCert(tt.srv.Certificate())
	tr.TLSClientConfig = &tls.Config{RootCAs: roots}
	tr.Proxy = nil
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		n := tt.dials.Add(1)
		if hook != nil {
			if err := hook(n); err != nil {
				return nil, err
			}
		}
		return dial(ctx, network, addr)
	}
	return tt
}

func (tt *tlsTenant) token(t *testing.T) {
	t.Helper()
	if _, err := tt.client.Token(context.Background(), TokenRequest{Username: "a@b.co", Password: "pw"}); err != nil {
		t.Fatal(err)
	}
}

// waitPreconnected waits until the connection Preconnect opens is ready.
func (tt *tlsTenant) waitPreconnected(t *testing.T) *predial {
	t.Helper()
	a := tt.client.ahead
	a.mu.Lock()
	p := a.pending[tt.srv.Listener.Addr().String()]
	a.mu.Unlock()
	if p == nil {
		t.Fatal("Preconnect started nothing")
	}
	<-p.done
	return p
}

// TestPreconnectOpensTheFirstConnection: the connection opened ahead is
// TLS-handshaken (with HTTP/2 when the tenant speaks it, as the transport
// would negotiate), carries no request, and is the one the first request
// uses: one connection in all.
func TestPreconnectOpensTheFirstConnection(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		tt := newTLSTenant(t, h2, nil)
		tt.client.Preconnect(context.Background())
		p := tt.waitPreconnected(t)
		if p.conn == nil {
			t.Fatal("the connection ahead failed")
		}
		if n := tt.requests.Load(); n != 0 {
			t.Fatalf("Preconnect sent %d requests", n)
		}
		if proto := p.conn.(*tls.Conn).ConnectionState().NegotiatedProtocol; (proto == "h2") != h2 {
			t.Fatalf("h2 %v: negotiated %q", h2, proto)
		}
		tt.token(t)
		tt.token(t)
		if c, d, r := tt.conns.Load(), tt.dials.Load(), tt.requests.Load(); c != 1 || d != 1 || r != 2 {
			t.Fatalf("h2 %v: %d connections, %d dials, %d requests; want 1, 1, 2", h2, c, d, r)
		}
		if want := map[bool]int32{false: 1, true: 2}[h2]; tt.proto.Load() != want {
			t.Fatalf("requests went over HTTP/%d", tt.proto.Load())
		}
	}
}

// TestFirstRequestWaitsForTheConnectionAhead: a request made while the
// connection ahead is still opening uses it rather than opening another.
func TestFirstRequestWaitsForTheConnectionAhead(t *testing.T) {
	release := make(chan struct{})
	tt := newTLSTenant(t, false, func(n int32) error {
		if n == 1 {
			<-release
		}
		return nil
	})
	tt.client.Preconnect(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := tt.client.Token(context.Background(), TokenRequest{Username: "a@b.co", Password: "pw"})
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond) // let the request reach its dial (not an assertion)
	close(release)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if c, d := tt.conns.Load(), tt.dials.Load(); c != 1 || d != 1 {
		t.Fatalf("%d connections, %d dials; want 1 and 1", c, d)
	}
}

// TestFailedPreconnectIsHarmless: when the connection ahead cannot be
// opened, the first request opens its own.
func TestFailedPreconnectIsHarmless(t *testing.T) {
	tt := newTLSTenant(t, false, func(n int32) error {
		if n == 1 {
			return errors.New("network unreachable")
		}
		return nil
	})
	tt.client.Preconnect(context.Background())
	if p := tt.waitPreconnected(t); p.conn != nil {
		t.Fatal("the failing dial gave a connection")
	}
	tt.token(t)
	if c, d := tt.conns.Load(), tt.dials.Load(); c != 1 || d != 2 {
		t.Fatalf("%d connections, %d dials; want 1 and 2", c, d)
	}
}

// TestOldConnectionAheadIsNotUsed: a connection opened ahead longer ago
// than the pool keeps idle ones may be closed at the other end; the first
// request opens a new one.
func TestOldConnectionAheadIsNotUsed(t *testing.T) {
	tt := newTLSTenant(t, false, nil)
	tt.client.Preconnect(context.Background())
	p := tt.waitPreconnected(t)
	p.opened = p.opened.Add(-IdleConnTimeout)
	tt.token(t)
	if d := tt.dials.Load(); d != 2 {
		t.Fatalf("%d dials; want 2", d)
	}
}

// TestPreconnectDoesNothingItCannotHandOver: plain http (local emulators)
// and a client given its own *http.Client start no connection.
func TestPreconnectDoesNothingItCannotHandOver(t *testing.T) {
	c := NewClient(Config{BaseURL: "http://127.0.0.1:1"}, nil)
	c.Preconnect(context.Background())
	if len(c.ahead.pending) != 0 {
		t.Fatal("Preconnect started a connection to an http tenant")
	}
	c = NewClient(Config{BaseURL: "https://tenant.example.com"}, http.DefaultClient)
	c.Preconnect(context.Background()) // must not panic or dial
	if c.ahead != nil {
		t.Fatal("a client with its own *http.Client has a dialer")
	}
}

// TestTrustStoreLoadsWhileTheConnectionOpens: the first dial starts loading
// the trust store before its TCP connection is open, so that the handshake
// finds it loaded.
func TestTrustStoreLoadsWhileTheConnectionOpens(t *testing.T) {
	loading := make(chan struct{})
	saved := loadSystemRoots
	rootsOnce, loadSystemRoots = sync.Once{}, func() { close(loading) }
	t.Cleanup(func() { rootsOnce, loadSystemRoots = sync.Once{}, saved })
	release := make(chan struct{})
	tt := newTLSTenant(t, false, func(int32) error { <-release; return nil })
	tt.client.Preconnect(context.Background())
	select {
	case <-loading:
	case <-time.After(10 * time.Second):
		t.Fatal("the trust store was not being loaded while the TCP connection opened")
	}
	close(release)
	tt.waitPreconnected(t)
}
