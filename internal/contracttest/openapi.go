// Package contracttest checks responses against api/openapi.yaml, so tests
// fail when the code and the published contract drift apart. kin-openapi
// reads the spec and validates each answer: the status must be declared for
// the operation, the headers it declares must hold, and the Content-Type and
// body must match the declared content.
package contracttest

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// serverURL is the spec's sam local server; requests are routed as if sent
// there, so a path alone finds its operation.
const serverURL = "http://127.0.0.1:3000"

// Spec is the parsed and validated OpenAPI document.
type Spec struct {
	router routers.Router
}

var (
	loadOnce sync.Once
	loaded   *Spec
	loadErr  error
)

// Load reads api/openapi.yaml once per test binary and fails t if the
// document is not valid OpenAPI.
func Load(t testing.TB) *Spec {
	t.Helper()
	loadOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		loaded, loadErr = load(filepath.Join(filepath.Dir(file), "..", "..", "api", "openapi.yaml"))
	})
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return loaded
}

func load(path string) (*Spec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("%s is not valid OpenAPI: %w", path, err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route %s: %w", path, err)
	}
	return &Spec{router: router}, nil
}

// Check fails t unless the answer matches what the spec declares for
// method+path (see Validate).
func (s *Spec) Check(t testing.TB, method, path string, status int, headers map[string]string, body string) {
	t.Helper()
	if err := s.Validate(method, path, status, headers, body); err != nil {
		t.Errorf("%s %s -> %d does not match api/openapi.yaml: %v\nbody: %s", method, path, status, err, body)
	}
}

// Validate is Check returning the mismatch: an operation the spec lacks, a
// status it does not declare, a declared header missing or out of its
// schema, a Content-Type it does not list, or a body outside the schema.
// headers are the answer's, in any case (API Gateway's map or net/http's).
func (s *Spec) Validate(method, path string, status int, headers map[string]string, body string) error {
	req, err := http.NewRequest(method, serverURL+path, nil)
	if err != nil {
		return err
	}
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		return fmt.Errorf("no operation %s %s: %w", method, path, err)
	}
	h := make(http.Header, len(headers))
	for k, v := range headers {
		h.Set(k, v)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 h,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes([]byte(body))
	return openapi3filter.ValidateResponse(context.Background(), in)
}
