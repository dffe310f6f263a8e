package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// stopWithParent returns a context that ends when this process's parent
// does. make passes its TERM on to the server it runs, but a make killed
// outright (KILL, as some tools stop it) passes nothing on: the server then
// stops by itself rather than holding its ports.
func stopWithParent(ctx context.Context) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	parent := os.Getppid()
	go func() {
		defer cancel()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if os.Getppid() != parent {
					return
				}
			}
		}
	}()
	return ctx
}

// localAddr is where a client on this machine reaches a listener on addr.
func localAddr(addr *net.TCPAddr) string {
	ip := addr.IP
	switch {
	case ip.Equal(net.IPv4zero):
		ip = net.IPv4(127, 0, 0, 1)
	case ip.Equal(net.IPv6unspecified):
		ip = net.IPv6loopback
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(addr.Port))
}

// exposureWarning is what to say when the API listens beyond loopback
// (HOST, e.g. for a phone on the LAN): "" on loopback. lan lists this
// machine's other addresses, which a listener on all interfaces answers on.
func exposureWarning(addr *net.TCPAddr, lan []net.IP) string {
	if addr.IP.IsLoopback() {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "WARNING: listening on %s, beyond this machine: anyone who can reach it can sign up, log in and\n", addr)
	b.WriteString("get tokens. Use it on a network you trust, for testing only.\n")
	if addr.IP.IsUnspecified() {
		for _, ip := range lan {
			fmt.Fprintf(&b, "  from another device: http://%s\n", net.JoinHostPort(ip.String(), strconv.Itoa(addr.Port)))
		}
	}
	b.WriteString("A browser page opened from another device has that device's view of the origin: add it to\n")
	b.WriteString("CORS_ORIGINS (e.g. http://<this machine's address>:3001 for the browser client).\n")
	return b.String()
}

// lanAddrs are this machine's unicast addresses other than loopback and
// link-local ones.
func lanAddrs() []net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.IsGlobalUnicast() {
			out = append(out, n.IP)
		}
	}
	return out
}
