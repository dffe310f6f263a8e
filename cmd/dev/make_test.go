//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests in this file run `make dev` as a person does, from the
// repository root, with the embedded emulator on a free port.

const repoRoot = "../.."

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// makeDev is one `make dev`, in its own process group.
type makeDev struct {
	cmd       *exec.Cmd
	port, emu int
	web       int
	out       *lockedBuffer
	exited    chan struct{}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startMakeDev runs make dev with args and waits until the API answers.
func startMakeDev(t *testing.T, args ...string) *makeDev {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs make dev")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	d := &makeDev{port: freePort(t), emu: freePort(t), web: freePort(t), out: &lockedBuffer{}, exited: make(chan struct{})}
	args = append([]string{"--no-print-directory", "dev", "PORT=" + strconv.Itoa(d.port), "DIST=" + t.TempDir()}, args...)
	d.cmd = exec.Command("make", args...)
	d.cmd.Dir = repoRoot
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "AUTH0_") && !strings.HasPrefix(name, "MAKE") && name != "MFLAGS" && name != "HOST" {
			d.cmd.Env = append(d.cmd.Env, kv)
		}
	}
	d.cmd.Env = append(d.cmd.Env, fmt.Sprintf("AUTH0_EMULATOR_ADDR=127.0.0.1:%d", d.emu), fmt.Sprintf("WEB_PORT=%d", d.web))
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := d.cmd.Process.Pid
	go func() { d.cmd.Wait(); close(d.exited) }()
	t.Cleanup(func() {
		// Whatever the test did, nothing it started survives it.
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-d.exited
	})
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(3 * time.Minute) // make builds the server first
	for {
		resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/no-such-route", d.port))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Fatalf("GET /no-such-route: %d", resp.StatusCode)
			}
			return d
		}
		select {
		case <-d.exited:
			t.Fatalf("make dev exited before serving:\n%s", d.out)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("make dev does not answer on %d:\n%s", d.port, d.out)
		}
	}
}

// portsFreed waits until nothing listens on the server's ports any more.
func (d *makeDev) portsFreed(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for _, port := range []int{d.port, d.emu, d.web} {
		for {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
			if err == nil {
				ln.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("port %d still taken after make stopped: an orphaned server\n%s", port, d.out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// TestStoppingMakeStopsTheServer: however make dev is stopped (Ctrl-C,
// which signals the whole process group; kill, which signals make; or
// kill -9, which make cannot pass on), the API's, the browser client's and
// the emulator's ports are free afterwards.
func TestStoppingMakeStopsTheServer(t *testing.T) {
	for _, c := range []struct {
		name string
		stop func(makePid int) error
	}{
		{"ctrl-c", func(pid int) error { return syscall.Kill(-pid, syscall.SIGINT) }},
		{"kill", func(pid int) error { return syscall.Kill(pid, syscall.SIGTERM) }},
		{"kill -9", func(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := startMakeDev(t)
			if err := c.stop(d.cmd.Process.Pid); err != nil {
				t.Fatal(err)
			}
			select {
			case <-d.exited:
			case <-time.After(30 * time.Second):
				t.Fatalf("make, or a process holding its output, did not exit:\n%s", d.out)
			}
			d.portsFreed(t)
		})
	}
}

// TestReadmeExamplesRunAgainstMakeDev runs every shell block of the README
// that talks to make dev's API, as written (only the port is this test's),
// and checks each command's output against the comment that shows it.
func TestReadmeExamplesRunAgainstMakeDev(t *testing.T) {
	for _, tool := range []string{"sh", "curl", "sed", "head"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip("no " + tool)
		}
	}
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(readme), -1) {
		if strings.Contains(m[1], "localhost:3000") {
			blocks = append(blocks, m[1])
		}
	}
	if len(blocks) < 2 {
		t.Fatalf("found %d README blocks using localhost:3000", len(blocks))
	}
	d := startMakeDev(t)
	checked := 0
	for _, block := range blocks {
		block = strings.ReplaceAll(block, "localhost:3000", "localhost:"+strconv.Itoa(d.port))
		cmds, wants := splitExamples(block)
		// One shell for the block (its variables carry over), a marker
		// after each command's output.
		var script strings.Builder
		for _, c := range cmds {
			script.WriteString(c + "\nprintf '\\n@@@\\n'\n")
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		sh := exec.CommandContext(ctx, "sh", "-c", script.String())
		sh.Dir = t.TempDir() // for the files the examples write
		out, err := sh.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("block failed: %v\n%s\n%s", err, block, out)
		}
		outs := strings.Split(string(out), "\n@@@\n")
		for i, want := range wants {
			if want == "" {
				continue
			}
			checked++
			got := strings.TrimSpace(outs[i])
			if !sameShape(want, got) {
				t.Errorf("%s\n  README shows: %s\n  it printed:   %s", cmds[i], want, got)
			}
		}
	}
	t.Logf("%d outputs checked", checked)
	if checked < 6 {
		t.Fatalf("only %d outputs checked", checked)
	}
}

// splitExamples reads a README block: each command, and the output the
// README shows for it (a comment on the next line or at the end of the
// line), "" if none.
func splitExamples(block string) (cmds, wants []string) {
	for _, line := range strings.Split(block, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
		case strings.HasPrefix(trimmed, "# "):
			if len(wants) > 0 && wants[len(wants)-1] == "" {
				wants[len(wants)-1] = strings.TrimPrefix(trimmed, "# ")
			}
		default:
			cmd, comment, _ := strings.Cut(line, "   # ")
			cmds = append(cmds, strings.TrimSpace(cmd))
			wants = append(wants, strings.TrimSpace(comment))
		}
	}
	return cmds, wants
}

// sameShape compares an output with the README's rendering of it. JSON:
// the same keys, and the same values where the README shows a whole one
// (an elided string, "…" or "...", or the timestamp expires_at only needs
// the same type). A status ("204", "401 {...}, www-authenticate: ..."): the
// answer's status (curl -i's first line, or the output itself), then its
// JSON body and the headers named. Anything else is prose, not output.
func sameShape(want, got string) bool {
	if strings.HasPrefix(want, "{") {
		return sameJSON(want, got)
	}
	status, rest, _ := strings.Cut(want, " ")
	if len(status) != 3 || strings.Trim(status, "0123456789") != "" {
		return true // prose
	}
	lines := strings.Split(strings.ReplaceAll(got, "\r", ""), "\n")
	first := strings.Fields(lines[0])
	if len(first) > 1 && strings.HasPrefix(first[0], "HTTP/") {
		first = first[1:]
	}
	if len(first) == 0 || first[0] != status {
		return false
	}
	body, headers, _ := strings.Cut(rest, "}, ")
	if body != "" {
		if !sameJSON(body+"}", lines[len(lines)-1]) {
			return false
		}
	}
	for _, h := range strings.Split(headers, ", ") {
		if name, _, ok := strings.Cut(h, ": "); ok && !strings.Contains(strings.ToLower(got), "\n"+strings.ToLower(name)+": ") {
			return false
		}
	}
	return true
}

func sameJSON(want, got string) bool {
	var w, g map[string]any
	if json.Unmarshal([]byte(want), &w) != nil || json.Unmarshal([]byte(got), &g) != nil {
		return false
	}
	if !slices.Equal(keys(w), keys(g)) {
		return false
	}
	for k, wv := range w {
		switch wv := wv.(type) {
		case string:
			gs, ok := g[k].(string)
			if !ok || (!strings.HasSuffix(wv, "...") && !strings.HasSuffix(wv, "…") && gs != wv) {
				return false
			}
		case float64:
			gv, ok := g[k].(float64)
			if !ok || (k != "expires_at" && gv != wv) {
				return false
			}
		default:
			if fmt.Sprint(wv) != fmt.Sprint(g[k]) {
				return false
			}
		}
	}
	return true
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
