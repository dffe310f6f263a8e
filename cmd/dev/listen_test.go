package main

import (
	"net"
	"strings"
	"testing"
)

func TestExposureWarning(t *testing.T) {
	lan := []net.IP{net.ParseIP("192.168.1.23")}
	for _, c := range []struct {
		addr    string
		warn    bool
		local   string
		fromLAN bool
	}{
		{"127.0.0.1:3000", false, "127.0.0.1:3000", false},
		{"127.0.0.2:3000", false, "127.0.0.2:3000", false},
		{"[::1]:3000", false, "[::1]:3000", false},
		{"0.0.0.0:3000", true, "127.0.0.1:3000", true},
		{"[::]:3000", true, "[::1]:3000", true},
		{"192.168.1.23:3000", true, "192.168.1.23:3000", false},
	} {
		addr, err := net.ResolveTCPAddr("tcp", c.addr)
		if err != nil {
			t.Fatal(err)
		}
		w := exposureWarning(addr, lan)
		if (w != "") != c.warn || (c.warn && !strings.HasPrefix(w, "WARNING")) {
			t.Errorf("%s: warning %q", c.addr, w)
		}
		if got := strings.Contains(w, "http://192.168.1.23:3000"); got != c.fromLAN {
			t.Errorf("%s: LAN address listed = %v: %q", c.addr, got, w)
		}
		if got := localAddr(addr); got != c.local {
			t.Errorf("%s: local address %q, want %q", c.addr, got, c.local)
		}
	}
}
