#!/usr/bin/env bash
# Runs every Go fuzz target of the module (each func FuzzXxx(f *testing.F)
# in a _test.go file) for a bounded time.
#
#   FUZZTIME      time per target: a Go duration (3m), plain seconds (45) or
#                 an iteration count (10000x); default 30s. CI passes a count:
#                 under load Go 1.26 can fail a duration run at its expiry with
#                 a bare "context deadline exceeded" (golang/go#75804).
#   FUZZ_TARGETS  optional regexp; only targets whose name matches run
#
# A failing input is written by `go test` to the package's
# testdata/fuzz/<FuzzName>/, where it becomes a regression seed once
# committed; the script then exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime="${FUZZTIME:-30s}"
if [[ "$fuzztime" =~ ^[0-9]+$ ]]; then
	fuzztime="${fuzztime}s"
fi
filter="${FUZZ_TARGETS:-.}"

targets=()
while read -r pkg dir; do
	for name in $(grep -ho '^func Fuzz[A-Za-z0-9_]*(f \*testing\.F)' "$dir"/*_test.go 2>/dev/null |
		sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' | sort -u); do
		if [[ "$name" =~ $filter ]]; then
			targets+=("$pkg $name")
		fi
	done
done < <(go list -f '{{.ImportPath}} {{.Dir}}' ./...)

if [ "${#targets[@]}" -eq 0 ]; then
	echo "fuzz: no fuzz targets match '$filter'" >&2
	exit 1
fi
echo "fuzz: ${#targets[@]} targets, $fuzztime each"
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	echo "fuzz: $name ($pkg)"
	go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "$pkg"
done
