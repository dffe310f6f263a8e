package auth0

import (
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// What an *Error keeps of an answer is logged: it must not depend on the
// answer being Auth0's. A proxy that echoes the request would otherwise put
// the client secret, the password or the email into the logs.
const (
	maxCode    = 64  // bytes of Auth0's code or error name
	maxErrText = 300 // bytes of a transport error's text
	redacted   = "[redacted]"
	// Shorter request values would match ordinary words by chance, and
	// hide nothing worth hiding.
	minRedacted = 4
)

// publicFields are request fields whose values are this deployment's
// settings, not the caller's or our credentials: descriptions naming them
// ("Service not found: https://api.example.com") are what an operator
// needs. Every other value a request carries is removed from the answer.
var publicFields = map[string]bool{
	"grant_type": true, "realm": true, "connection": true, "scope": true,
	"audience": true, "client_id": true,
}

// redact removes values (requestValues) from what e kept of the answer,
// then bounds what is left. It runs before anything is clipped, so no
// prefix of a removed value survives, and removes the longest first, so
// that no shorter value breaks a longer one before it is removed.
func (e *Error) redact(values []string) {
	values = slices.Clone(values)
	slices.SortFunc(values, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), cmp.Compare(a, b)) })
	values = slices.Compact(values)
	e.Code = clip(scrub(e.Code, values), maxCode)
	e.Name = clip(scrub(e.Name, values), maxCode)
	e.Description = clip(scrub(e.Description, values), maxDescription)
	e.Policy = clip(scrub(e.Policy, values), 4*maxRuleText)
	if e.Err != nil {
		// net/http quotes (%q) what it could not parse of an answer, which
		// may be the request split anywhere: that part is dropped.
		text := e.Err.Error()
		kept, _, _ := strings.Cut(text, `"`)
		if kept = clip(scrub(strings.TrimSpace(kept), values), maxErrText); kept != text {
			e.Err = &redactedError{err: e.Err, text: kept}
		}
	}
}

// redactedError is a transport error whose text was cleaned; errors.Is and
// errors.As still see the original.
type redactedError struct {
	err  error
	text string
}

func (r *redactedError) Error() string { return r.text }
func (r *redactedError) Unwrap() error { return r.err }

func scrub(s string, values []string) string {
	for _, v := range values {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, redacted)
		}
	}
	return s
}

// requestValues lists what req carried: its header values (but the media
// types) and their words, its query and its body's form or JSON values,
// each as it is and as the request encoded it.
func requestValues(req *http.Request) []string {
	var raw []string
	for k, vs := range req.Header {
		if k != "Accept" && k != "Content-Type" {
			for _, v := range vs {
				// "Bearer <token>": the token alone too.
				raw = append(append(raw, v), strings.Fields(v)...)
			}
		}
	}
	raw = appendForm(raw, req.URL.Query())
	if req.GetBody != nil {
		if body, err := req.GetBody(); err == nil {
			data, _ := io.ReadAll(io.LimitReader(body, maxBody))
			body.Close()
			if strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
				var v any
				if json.Unmarshal(data, &v) == nil {
					raw = appendJSON(raw, v)
				}
			} else if form, err := url.ParseQuery(string(data)); err == nil {
				raw = appendForm(raw, form)
			}
		}
	}
	var out []string
	for _, v := range raw {
		if len(v) < minRedacted {
			continue
		}
		quoted, _ := json.Marshal(v)
		out = append(out, v, url.QueryEscape(v), string(quoted[1:len(quoted)-1]), jsonText(v))
	}
	return out
}

func appendForm(out []string, form url.Values) []string {
	for k, vs := range form {
		if !publicFields[k] {
			out = append(out, vs...)
		}
	}
	return out
}

func appendJSON(out []string, v any) []string {
	switch v := v.(type) {
	case string:
		out = append(out, v)
	case []any:
		for _, x := range v {
			out = appendJSON(out, x)
		}
	case map[string]any:
		for k, x := range v {
			if !publicFields[k] {
				out = appendJSON(out, x)
			}
		}
	}
	return out
}

// jsonText is v as a JSON string's content without HTML escaping, the way
// most other encoders would echo it.
func jsonText(v string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	s := strings.TrimSuffix(b.String(), "\n")
	return s[1 : len(s)-1]
}
