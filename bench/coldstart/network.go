package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Targets of issue 13, in Auth0 round trips: how much later than its
// baseline each function may answer its first event.
const (
	tokenTargetRTT  = 1.8 // token vs the SDK probe
	signupTargetRTT = 3.4 // signup vs hello
)

// network times cold starts over a realistic network: Auth0 (auth0test) and
// Secrets Manager (moto) are reached over TLS (real Secrets Manager
// endpoints are HTTPS only), through proxies that add a fixed round-trip
// time. The bootstraps' trust store is one bundle file, as on
// provided.al2023: this machine's CA bundle plus the bench's certificate.
// The pairs alternate as on loopback; what is reported is how much later
// each function answers its first event than its baseline, in Auth0 round
// trips.
func (b *bench) network(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "coldstart-tls-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cert, bundle, err := selfSigned(dir)
	if err != nil {
		return err
	}
	auth0, err := slowTLS(strings.TrimPrefix(b.a0.URL, "http://"), cert, b.o.auth0RTT)
	if err != nil {
		return err
	}
	defer auth0.Close()
	sm, err := slowTLS(strings.TrimPrefix(b.moto.Endpoint, "http://"), cert, b.o.smRTT)
	if err != nil {
		return err
	}
	defer sm.Close()

	// SSL_CERT_DIR names no directory, so that only the bundle is read.
	fns := b.functions("https://"+auth0.Addr(), "https://"+sm.Addr(),
		"SSL_CERT_FILE="+bundle, "SSL_CERT_DIR="+filepath.Join(dir, "none"))
	for _, f := range fns { // unmeasured, as on loopback
		if _, err := coldStart(ctx, f); err != nil {
			return err
		}
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert.Leaf)
	samples := map[string][]sample{}
	var floor []float64
	for i := range b.o.netN {
		if err := alternate(ctx, fns, i, samples); err != nil {
			return err
		}
		d, err := newConnectionRequest(ctx, "https://"+auth0.Addr()+"/.well-known/jwks.json", roots)
		if err != nil {
			return err
		}
		floor = append(floor, ms(d))
	}
	printNetwork(samples, floor, b.o)
	return nil
}

// newConnectionRequest times one GET over a new TLS connection from this
// process, whose runtime and trust store are warm: the least a function's
// first Auth0 call can take on this path.
func newConnectionRequest(ctx context.Context, url string, roots *x509.CertPool) (time.Duration, error) {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return time.Since(t0), err
}

// path is a TLS endpoint behind a slow link: the latency proxy in front of
// a TLS-terminating one.
type path struct{ link, front *proxy }

func (p *path) Addr() string { return p.link.Addr() }
func (p *path) Close()       { p.link.Close(); p.front.Close() }

// slowTLS serves the plain-HTTP server at target over TLS with cert, rtt
// away.
func slowTLS(target string, cert tls.Certificate, rtt time.Duration) (*path, error) {
	front, err := newProxy(target, 0, &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		return nil, err
	}
	link, err := newProxy(front.Addr(), rtt, nil)
	if err != nil {
		front.Close()
		return nil, err
	}
	return &path{link: link, front: front}, nil
}

// selfSigned makes a certificate for 127.0.0.1 that is its own CA, and
// writes a trust bundle to dir: this machine's CA bundle, if it has one of
// the usual ones, and the certificate (not its key).
func selfSigned(dir string) (tls.Certificate, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "coldstart bench"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	var bundle []byte
	for _, f := range []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"} {
		if b, err := os.ReadFile(f); err == nil {
			bundle = append(b, '\n')
			break
		}
	}
	bundle = append(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	file := filepath.Join(dir, "bundle.pem")
	if err := os.WriteFile(file, bundle, 0o600); err != nil {
		return tls.Certificate{}, "", err
	}
	leaf, err := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, file, err
}

func printNetwork(samples map[string][]sample, floor []float64, o options) {
	rtt := ms(o.auth0RTT)
	fmt.Printf("\n## Cold start over a realistic network (%d each, alternating in pairs): Auth0 over TLS at %v RTT, Secrets Manager over TLS at %v RTT\n\n",
		o.netN, o.auth0RTT, o.smRTT)
	fmt.Println("| binary | first invoke median ms | p90 ms | min ms | init (emulator) median ms | first event (emulator) median ms | Auth0 wait median ms |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, name := range []string{"signup", "hello", "token", "sdkprobe"} {
		s := samples[name]
		t := field(s, func(s sample) time.Duration { return s.total })
		var wait []float64
		for _, x := range s {
			if w, ok := x.req["auth0_ms"]; ok {
				wait = append(wait, w)
			}
		}
		cell := "–"
		if len(wait) > 0 {
			cell = fmt.Sprintf("%.1f", quantile(wait, 0.5))
		}
		fmt.Printf("| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %s |\n", name, quantile(t, 0.5), quantile(t, 0.9), quantile(t, 0),
			quantile(field(s, func(s sample) time.Duration { return s.ready }), 0.5),
			quantile(field(s, func(s sample) time.Duration { return s.invoke }), 0.5), cell)
	}

	fmt.Printf("\nFloor of one Auth0 call: a new TLS connection and one GET from this process (warm), median %.1f ms = %.2f RTT.\n",
		quantile(floor, 0.5), quantile(floor, 0.5)/rtt)

	fmt.Printf("\n| function − baseline | median of per-round differences ms | in Auth0 RTTs (%v) | difference of medians, RTTs | target |\n", o.auth0RTT)
	fmt.Println("|---|---|---|---|---|")
	for _, p := range []struct {
		fn, base string
		target   float64
	}{{"token", "sdkprobe", tokenTargetRTT}, {"signup", "hello", signupTargetRTT}} {
		a := field(samples[p.fn], func(s sample) time.Duration { return s.total })
		b := field(samples[p.base], func(s sample) time.Duration { return s.total })
		var diff []float64
		for i := range min(len(a), len(b)) {
			diff = append(diff, a[i]-b[i])
		}
		d := quantile(diff, 0.5)
		verdict := "met"
		if d/rtt > p.target {
			verdict = "MISSED"
		}
		fmt.Printf("| %s − %s | %.1f | %.2f | %.2f | ≤ %.1f RTT: %s |\n", p.fn, p.base, d, d/rtt,
			(quantile(a, 0.5)-quantile(b, 0.5))/rtt, p.target, verdict)
	}
}
