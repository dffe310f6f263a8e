package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// moto is a moto_server this program started on 127.0.0.1 (internal/mototest
// does the same for tests, but needs a testing.TB).
type moto struct {
	endpoint string
	cmd      *exec.Cmd
	exited   chan struct{}
	client   *http.Client
}

func startMoto(ctx context.Context) (*moto, error) {
	path, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("moto_server not found on PATH (pip install 'moto[server]'): %w", err)
	}
	var lastErr error
	for range 3 { // the free port may be taken before moto binds it
		m, err := launchMoto(ctx, path)
		if err == nil {
			return m, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func launchMoto(ctx context.Context, path string) (*moto, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	out := &lockedBuffer{}
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1")
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	m := &moto{
		endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		cmd:      cmd,
		exited:   make(chan struct{}),
		client:   &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}},
	}
	go func() {
		_ = cmd.Wait()
		close(m.exited)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := m.client.Get(m.endpoint + "/moto-api/")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return m, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			m.stop()
			return nil, fmt.Errorf("moto_server on port %d not answering: %v\n%s", port, err, out.String())
		}
		select {
		case <-m.exited:
			return nil, fmt.Errorf("moto_server on port %d exited:\n%s", port, out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (m *moto) stop() {
	killTree(m.cmd.Process)
	<-m.exited
}

// env points the AWS SDK of a function at this server.
func (m *moto) env() []string {
	return []string{
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + m.endpoint,
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// createSecret stores a string secret and returns its ARN.
func (m *moto) createSecret(ctx context.Context, name, value string) (string, error) {
	body, _ := json.Marshal(map[string]string{"Name": name, "SecretString": value})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "secretsmanager.CreateSecret")
	// moto routes on the SigV4 credential scope; it does not check the signature.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20000101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := m.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("CreateSecret: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out struct{ ARN string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(data, &out) != nil || out.ARN == "" {
		return "", fmt.Errorf("CreateSecret: %s: %.300s", resp.Status, data)
	}
	return out.ARN, nil
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
