package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
)

// parametersSection holds variables for every function in a SAM env.json.
const parametersSection = "Parameters"

// loadEnvFile reads a SAM CLI env.json (sam local invoke --env-vars) and
// returns the variables it sets for function as sorted KEY=value entries.
// found reports whether the file has a section for function.
func loadEnvFile(path, function string) (vars []string, found bool, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false, err
	}
	vars, found, err = parseEnvFile(data, function)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	return vars, found, nil
}

// parseEnvFile applies the "Parameters" section, then function's own, which
// wins. Empty and null values are skipped, as if absent: an unset variable is
// what an empty template value stands for. Numbers and booleans become their
// JSON text, as SAM does.
func parseEnvFile(data []byte, function string) ([]string, bool, error) {
	var doc map[string]map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, false, fmt.Errorf(`want {"FunctionName": {"VAR": "value"}, "Parameters": {...}}: %w`, err)
	}
	merged := make(map[string]string)
	for _, section := range []string{parametersSection, function} {
		for k, raw := range doc[section] {
			if k == "" || strings.Contains(k, "=") {
				return nil, false, fmt.Errorf("%s: invalid variable name %q", section, k)
			}
			v, err := envValue(raw)
			if err != nil {
				return nil, false, fmt.Errorf("%s.%s: %w", section, k, err)
			}
			if v != "" {
				merged[k] = v
			}
		}
	}
	_, found := doc[function]
	vars := make([]string, 0, len(merged))
	for k, v := range merged {
		vars = append(vars, k+"="+v)
	}
	sort.Strings(vars)
	return vars, found, nil
}

func envValue(raw json.RawMessage) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep 8080 as "8080", not "8080.0" or 8e3
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		if v {
			return "true", nil
		}
		return "false", nil
	default:
		return "", errors.New("value must be a string, number or boolean")
	}
}
