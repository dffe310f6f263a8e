package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// quantile is the nearest-rank quantile q (0 < q <= 1) of xs.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(i, 0)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func field(ss []sample, get func(sample) time.Duration) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		out[i] = ms(get(s))
	}
	return out
}

func printColdStarts(samples map[string][]sample, n int) {
	total := func(s sample) time.Duration { return s.total }
	ready := func(s sample) time.Duration { return s.ready }
	invoke := func(s sample) time.Duration { return s.invoke }
	fmt.Printf("\n## Cold start: first invocation of a new environment, on loopback (%d each, alternating in pairs)\n\n", n)
	fmt.Println("| binary | median ms | p90 ms | min ms | init (emulator: exec to first /next), median ms | first event (emulator: /next to response), median ms |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, name := range []string{"signup", "hello", "token", "sdkprobe"} {
		t := field(samples[name], total)
		fmt.Printf("| %s | %.1f | %.1f | %.1f | %.1f | %.2f |\n", name, quantile(t, 0.5), quantile(t, 0.9), quantile(t, 0),
			quantile(field(samples[name], ready), 0.5), quantile(field(samples[name], invoke), 0.5))
	}

	// The two of a pair ran back to back in each round, so their ratio
	// round by round cancels most of the drift of a shared machine's load.
	// The baselines call nothing on their first event; the functions wait
	// for Auth0 (auth0test, whose token endpoint signs two RS256 JWTs), as
	// their own request log line measures (auth0_ms).
	fmt.Println("\n| function / baseline | ratio of medians | ratio of p90s | median of per-round ratios | median extra ms | of which Auth0 wait ms | ratio of medians without the Auth0 wait | target ≤ 1.2× (ratio of medians) |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, p := range [][2]string{{"signup", "hello"}, {"token", "sdkprobe"}} {
		a, b := samples[p[0]], samples[p[1]]
		ta, tb := field(a, total), field(b, total)
		var ratios, extra, wait, net []float64
		for i := range min(len(a), len(b)) {
			ratios = append(ratios, ta[i]/tb[i])
			extra = append(extra, ta[i]-tb[i])
		}
		for i, s := range a {
			w := s.req["auth0_ms"]
			wait = append(wait, w)
			net = append(net, ta[i]-w)
		}
		r := quantile(ta, 0.5) / quantile(tb, 0.5)
		verdict := "met"
		if r > 1.2 {
			verdict = "MISSED"
		}
		fmt.Printf("| %s / %s | %.2f× | %.2f× | %.2f× | %.1f | %.1f | %.2f× | %s |\n", p[0], p[1], r,
			quantile(ta, 0.9)/quantile(tb, 0.9), quantile(ratios, 0.5), quantile(extra, 0.5), quantile(wait, 0.5),
			quantile(net, 0.5)/quantile(tb, 0.5), verdict)
	}
}

func printInit(samples map[string][]sample) {
	fmt.Println("\n## Init phases from the functions' \"init\" log line (median / p90 ms)")
	fmt.Println()
	keys := []string{"config_ms", "secret_ms", "client_ms", "init_ms"}
	fmt.Printf("| function | %s |\n", strings.Join(keys, " | "))
	fmt.Printf("|---|%s\n", strings.Repeat("---|", len(keys)))
	for _, name := range []string{"signup", "token"} {
		cells := make([]string, len(keys))
		for i, k := range keys {
			var xs []float64
			for _, s := range samples[name] {
				if v, ok := s.init[k]; ok {
					xs = append(xs, v)
				}
			}
			if len(xs) == 0 {
				cells[i] = "–"
				continue
			}
			cells[i] = fmt.Sprintf("%.3f / %.3f", quantile(xs, 0.5), quantile(xs, 0.9))
		}
		fmt.Printf("| %s | %s |\n", name, strings.Join(cells, " | "))
	}
}

func printPython(python string, runs []time.Duration, token []sample) {
	xs := make([]float64, len(runs))
	for i, d := range runs {
		xs[i] = ms(d)
	}
	t := quantile(field(token, func(s sample) time.Duration { return s.total }), 0.5)
	py := quantile(xs, 0.5)
	fmt.Printf("\n## Python floor: %s -c %q\n\n", python, pythonCode)
	fmt.Println("| runs | median ms | p90 ms | token cold start median ms | Python / token |")
	fmt.Println("|---|---|---|---|---|")
	fmt.Printf("| %d | %.1f | %.1f | %.1f | %.1f× |\n", len(xs), py, quantile(xs, 0.9), t, py/t)
}
