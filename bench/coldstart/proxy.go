package main

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// countingProxy forwards TCP connections from a loopback port to target and
// counts the connections it accepted: the connections a function opened to
// Auth0.
type countingProxy struct {
	ln       net.Listener
	target   string
	accepted atomic.Int64

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func newCountingProxy(target string) (*countingProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &countingProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

func (p *countingProxy) Addr() string { return p.ln.Addr().String() }

// Accepted is the number of connections accepted so far.
func (p *countingProxy) Accepted() int64 { return p.accepted.Load() }

func (p *countingProxy) serve() {
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
		go p.pipe(c)
	}
}

// track registers c for Close to cut; false once closed.
func (p *countingProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *countingProxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
}

func (p *countingProxy) pipe(c net.Conn) {
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
		_, _ = io.Copy(b, c)
		b.Close()
		close(done)
	}()
	_, _ = io.Copy(c, b)
	c.Close()
	<-done
}

// Close stops accepting, cuts every open connection and waits for the
// copying goroutines.
func (p *countingProxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
