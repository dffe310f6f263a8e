// Command size prints the size of each bootstrap under DIR
// (DIR/<name>/bootstrap, built by make bench-size) as it is and zipped the
// way a Lambda deployment package is (deflate, archive/zip), against the
// baselines: signup vs hello, token vs sdkprobe.
package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// targets are the limits for the stripped arm64 binaries, in MB (10^6 bytes).
var targets = map[string]float64{"signup": 6.5, "token": 9.5}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: size DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	rows := []struct{ name, base string }{{"signup", "hello"}, {"hello", ""}, {"token", "sdkprobe"}, {"sdkprobe", ""}}
	type sizes struct{ raw, zipped int64 }
	got := map[string]sizes{}
	arch := ""
	for _, r := range rows {
		path := filepath.Join(dir, r.name, "bootstrap")
		raw, zipped, machine, err := measure(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "size:", err)
			os.Exit(1)
		}
		got[r.name] = sizes{raw, zipped}
		arch = machine
	}
	fmt.Printf("\n## Artifact size: stripped static bootstrap (%s), MB = 10^6 bytes\n\n", arch)
	fmt.Println("| binary | bootstrap MB | zipped MB | vs baseline (bootstrap) | vs baseline (zipped) | target |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, r := range rows {
		s := got[r.name]
		vs, vsz := "baseline", "baseline"
		if r.base != "" {
			b := got[r.base]
			vs = fmt.Sprintf("%+.2f MB (%.2f×)", mb(s.raw-b.raw), float64(s.raw)/float64(b.raw))
			vsz = fmt.Sprintf("%+.2f MB (%.2f×)", mb(s.zipped-b.zipped), float64(s.zipped)/float64(b.zipped))
		}
		target := "–"
		if t, ok := targets[r.name]; ok {
			verdict := "met"
			if mb(s.raw) > t {
				verdict = "MISSED"
			}
			target = fmt.Sprintf("≤ %.1f MB: %s", t, verdict)
		}
		fmt.Printf("| %s | %.2f | %.2f | %s | %s | %s |\n", r.name, mb(s.raw), mb(s.zipped), vs, vsz, target)
	}
}

func mb(n int64) float64 { return float64(n) / 1e6 }

// measure returns the file's size, the size of a zip holding it as
// "bootstrap" (best compression, as sam and zip -9 would), and its machine.
func measure(path string) (raw, zipped int64, machine string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, "", err
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return 0, 0, "", fmt.Errorf("%s: %w", path, err)
	}
	if f.Section(".symtab") != nil {
		return 0, 0, "", fmt.Errorf("%s is not stripped", path)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err == nil {
		_, err = w.Write(data)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return 0, 0, "", err
	}
	return int64(len(data)), int64(buf.Len()), f.Machine.String(), nil
}
