package main

import (
	"crypto/tls"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// proxy forwards TCP connections from a loopback port to target and counts
// the connections it accepted. With a round-trip time it plays a network
// path that long: a connection takes one RTT to open (the TCP handshake;
// what is written before counts as sent then), and every chunk arrives half
// an RTT after it was sent, in both directions. With a TLS configuration it
// terminates TLS and forwards the plain bytes.
type proxy struct {
	ln       net.Listener
	target   string
	rtt      time.Duration
	accepted atomic.Int64

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func newProxy(target string, rtt time.Duration, tlsConfig *tls.Config) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	p := &proxy{ln: ln, target: target, rtt: rtt, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

func (p *proxy) Addr() string { return p.ln.Addr().String() }

// Accepted is the number of connections accepted so far.
func (p *proxy) Accepted() int64 { return p.accepted.Load() }

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.accepted.Add(1)
		if !p.track(c) {
			c.Close()
			return
		}
		p.wg.Add(1)
		go p.pipe(c, time.Now().Add(p.rtt))
	}
}

// track registers c for Close to cut; false once closed.
func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *proxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
}

func (p *proxy) pipe(c net.Conn, open time.Time) {
	defer p.wg.Done()
	defer p.untrack(c)
	defer c.Close()
	b, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer b.Close()
	if !p.track(b) {
		return
	}
	defer p.untrack(b)
	done := make(chan struct{})
	go func() {
		p.copy(b, c, open)
		b.Close()
		close(done)
	}()
	p.copy(c, b, open)
	c.Close()
	<-done
}

// copy is io.Copy, each chunk held back until half an RTT after it was
// sent: when it was read, or when the connection opened if that is later.
func (p *proxy) copy(dst io.Writer, src io.Reader, open time.Time) {
	if p.rtt == 0 {
		_, _ = io.Copy(dst, src)
		return
	}
	type chunk struct {
		data []byte
		due  time.Time
	}
	chunks := make(chan chunk, 64)
	go func() {
		defer close(chunks)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				sent := time.Now()
				if sent.Before(open) {
					sent = open // the sender could not have sent before the handshake
				}
				chunks <- chunk{buf[:n], sent.Add(p.rtt / 2)}
			}
			if err != nil {
				return
			}
		}
	}()
	failed := false
	for c := range chunks { // drained to the end, so the reader never blocks
		if !failed {
			time.Sleep(time.Until(c.due))
			_, err := dst.Write(c.data)
			failed = err != nil
		}
	}
}

// Close stops accepting, cuts every open connection and waits for the
// copying goroutines.
func (p *proxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
