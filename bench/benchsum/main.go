// Command benchsum reads `go test -bench -benchmem` output on stdin, passes
// it through, and then prints one markdown row per benchmark: the median of
// each figure over the -count runs, against the targets for the
// in-memory handler benchmarks (make bench-warm).
package main

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Targets of the in-memory handler benchmarks (only our code measured).
const (
	maxNsPerOp     = 100000
	maxAllocsPerOp = 250
)

var targeted = map[string]bool{"BenchmarkSignupHandler": true, "BenchmarkTokenHandler": true}

func main() {
	type figures struct{ ns, bytes, allocs []float64 }
	var order []string
	runs := map[string]*figures{}
	failed := false
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		line := sc.Text()
		fmt.Println(line)
		failed = failed || strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "--- FAIL")
		f := strings.Fields(line)
		if len(f) < 8 || !strings.HasPrefix(f[0], "Benchmark") || f[3] != "ns/op" || f[5] != "B/op" || f[7] != "allocs/op" {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i] // the GOMAXPROCS suffix
		}
		r := runs[name]
		if r == nil {
			r = &figures{}
			runs[name] = r
			order = append(order, name)
		}
		for i, dst := range []*[]float64{&r.ns, &r.bytes, &r.allocs} {
			v, err := strconv.ParseFloat(f[2+2*i], 64)
			if err == nil {
				*dst = append(*dst, v)
			}
		}
	}
	if len(order) == 0 {
		fmt.Fprintln(os.Stderr, "benchsum: no benchmark results on stdin")
		os.Exit(1)
	}
	fmt.Println("\n## Warm overhead per invocation (median of the runs above)")
	fmt.Println()
	fmt.Println("| benchmark | runs | µs/op | B/op | allocs/op | target (≤ 100 µs/op, ≤ 250 allocs/op) |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, name := range order {
		r := runs[name]
		ns, b, a := median(r.ns), median(r.bytes), median(r.allocs)
		verdict := "– (through loopback auth0test)"
		if targeted[name] {
			verdict = "met"
			if ns > maxNsPerOp || a > maxAllocsPerOp {
				verdict = "MISSED"
			}
		}
		fmt.Printf("| %s | %d | %.1f | %.0f | %.0f | %s |\n", name, len(r.ns), ns/1000, b, a, verdict)
	}
	if failed {
		fmt.Fprintln(os.Stderr, "benchsum: the benchmarks failed")
		os.Exit(1)
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
