// Package contracttest checks responses against api/openapi.yaml, so tests
// fail when the code and the published contract drift apart.
//
// It understands the subset of JSON Schema the spec uses: $ref, allOf,
// type, required, properties, enum and items.
package contracttest

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Spec is the parsed OpenAPI document.
type Spec struct {
	doc map[string]any
}

var (
	loadOnce sync.Once
	loaded   *Spec
	loadErr  error
)

// Load parses api/openapi.yaml once per test binary. YAML is turned into
// JSON by the machine's Python (PyYAML comes with cfn-lint), which keeps a
// YAML library out of the module.
func Load(t testing.TB) *Spec {
	t.Helper()
	loadOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		path := filepath.Join(filepath.Dir(file), "..", "..", "api", "openapi.yaml")
		out, err := exec.Command("python3", "-c",
			"import json,sys,yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)", path).Output()
		if err != nil {
			loadErr = fmt.Errorf("convert %s with python3+PyYAML: %w", path, err)
			return
		}
		var doc map[string]any
		if err := json.Unmarshal(out, &doc); err != nil {
			loadErr = err
			return
		}
		loaded = &Spec{doc: doc}
	})
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return loaded
}

// Check fails t unless the spec declares status for method+path and body
// matches its JSON schema, and every header the spec requires is present.
func (s *Spec) Check(t testing.TB, method, path string, status int, headers map[string]string, body string) {
	t.Helper()
	if err := s.Validate(method, path, status, headers, body); err != nil {
		t.Errorf("%s %s -> %d does not match api/openapi.yaml: %v\nbody: %s", method, path, status, err, body)
	}
}

// Validate is Check returning the mismatch.
func (s *Spec) Validate(method, path string, status int, headers map[string]string, body string) error {
	op, ok := dig(s.doc, "paths", path, strings.ToLower(method)).(map[string]any)
	if !ok {
		return fmt.Errorf("no operation %s %s", method, path)
	}
	resp, ok := dig(op, "responses", strconv.Itoa(status)).(map[string]any)
	if !ok {
		return fmt.Errorf("status %d is not declared", status)
	}
	resp = s.resolve(resp)
	for name, h := range asMap(resp["headers"]) {
		hm := s.resolve(asMap(h))
		if req, _ := hm["required"].(bool); req && lookup(headers, name) == "" {
			return fmt.Errorf("required header %s missing", name)
		}
	}
	schema, ok := dig(resp, "content", "application/json", "schema").(map[string]any)
	if !ok {
		return nil
	}
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		return fmt.Errorf("body is not JSON: %w", err)
	}
	return s.validate(schema, v, "$")
}

func (s *Spec) validate(schema map[string]any, v any, at string) error {
	schema = s.resolve(schema)
	for _, sub := range asSlice(schema["allOf"]) {
		if err := s.validate(asMap(sub), v, at); err != nil {
			return err
		}
	}
	if enum := asSlice(schema["enum"]); enum != nil {
		found := false
		for _, e := range enum {
			if e == v {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("%s = %v, not one of %v", at, v, enum)
		}
	}
	switch schema["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s is not an object", at)
		}
		for _, r := range asSlice(schema["required"]) {
			if _, ok := m[r.(string)]; !ok {
				return fmt.Errorf("%s.%s is required", at, r)
			}
		}
		for name, prop := range asMap(schema["properties"]) {
			if pv, ok := m[name]; ok {
				if err := s.validate(asMap(prop), pv, at+"."+name); err != nil {
					return err
				}
			}
		}
	case "string":
		if _, ok := v.(string); !ok {
			return fmt.Errorf("%s is not a string", at)
		}
	case "integer":
		if f, ok := v.(float64); !ok || f != float64(int64(f)) {
			return fmt.Errorf("%s is not an integer", at)
		}
	case "array":
		items, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s is not an array", at)
		}
		for i, it := range items {
			if err := s.validate(asMap(schema["items"]), it, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// resolve follows a local $ref ("#/components/...").
func (s *Spec) resolve(m map[string]any) map[string]any {
	for i := 0; i < 10; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		var cur any = s.doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = asMap(cur)[part]
		}
		m = asMap(cur)
	}
	return m
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		v = asMap(v)[k]
	}
	return v
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
func asSlice(v any) []any        { s, _ := v.([]any); return s }

func lookup(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}
