package api

import (
	"encoding/base64"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// badRequest is one request the contract refuses before calling Auth0.
type badRequest struct {
	name   string
	ev     events.APIGatewayV2HTTPRequest
	status int
	code   string
}

func event(method, contentType, body string) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: "/test", Headers: map[string]string{}, Body: body,
	}
	ev.RequestContext.HTTP.Method = method
	ev.RequestContext.HTTP.SourceIP = "203.0.113.10"
	if contentType != "" {
		ev.Headers["content-type"] = contentType
	}
	return ev
}

func jsonEvent(body string) events.APIGatewayV2HTTPRequest {
	return event("POST", "application/json", body)
}

func withPassword(p string) string {
	return `{"email":"jane@example.com","password":` + quote(p) + `}`
}

func withEmail(e string) string {
	return `{"email":` + quote(e) + `,"password":"Correct-Horse-42"}`
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&15])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// badRequests is the corpus of malformed input: every entry must get its
// 4xx and never reach Auth0.
func badRequests() []badRequest {
	const bad, tooLarge, media, method = 400, 413, 415, 405
	inv, big, unsup, notAllowed := "invalid_request", "payload_too_large", "unsupported_media_type", "method_not_allowed"
	cases := []badRequest{
		// JSON structure
		{"empty body", jsonEvent(""), bad, inv},
		{"whitespace body", jsonEvent(" \n\t "), bad, inv},
		{"truncated object", jsonEvent(`{"email":"jane@example.com","password":"x`), bad, inv},
		{"truncated after colon", jsonEvent(`{"email":`), bad, inv},
		{"only open brace", jsonEvent(`{`), bad, inv},
		{"not json", jsonEvent(`email=jane@example.com&password=x`), bad, inv},
		{"json null", jsonEvent(`null`), bad, inv},
		{"json array", jsonEvent(`[{"email":"jane@example.com","password":"x"}]`), bad, inv},
		{"json string", jsonEvent(`"jane@example.com"`), bad, inv},
		{"json number", jsonEvent(`42`), bad, inv},
		{"json true", jsonEvent(`true`), bad, inv},
		{"trailing garbage", jsonEvent(withPassword("Correct-Horse-42") + `x`), bad, inv},
		{"two objects", jsonEvent(withPassword("Correct-Horse-42") + withPassword("b")), bad, inv},
		{"trailing comma", jsonEvent(`{"email":"jane@example.com","password":"x",}`), bad, inv},
		{"single quotes", jsonEvent(`{'email':'jane@example.com','password':'x'}`), bad, inv},
		{"comment in json", jsonEvent(`{/*c*/"email":"jane@example.com","password":"x"}`), bad, inv},
		{"invalid utf-8", jsonEvent("{\"email\":\"jane@example.com\",\"password\":\"\xff\xfe\"}"), bad, inv},
		{"bad escape", jsonEvent(`{"email":"jane@example.com","password":"\x"}`), bad, inv},
		{"duplicate email", jsonEvent(`{"email":"a@example.com","email":"b@example.com","password":"x"}`), bad, inv},
		{"duplicate password", jsonEvent(`{"email":"jane@example.com","password":"x","password":"y"}`), bad, inv},
		{"empty object", jsonEvent(`{}`), bad, inv},
		{"missing password", jsonEvent(`{"email":"jane@example.com"}`), bad, inv},
		{"missing email", jsonEvent(`{"password":"Correct-Horse-42"}`), bad, inv},
		{"case-variant keys", jsonEvent(`{"Email":"jane@example.com","Password":"x"}`), bad, inv},
		// wrong types
		{"email null", jsonEvent(`{"email":null,"password":"x"}`), bad, inv},
		{"password null", jsonEvent(`{"email":"jane@example.com","password":null}`), bad, inv},
		{"email number", jsonEvent(`{"email":42,"password":"x"}`), bad, inv},
		{"password number", jsonEvent(`{"email":"jane@example.com","password":12345678}`), bad, inv},
		{"huge number", jsonEvent(`{"email":"jane@example.com","password":1e999999}`), bad, inv},
		{"email array", jsonEvent(`{"email":["jane@example.com"],"password":"x"}`), bad, inv},
		{"password object", jsonEvent(`{"email":"jane@example.com","password":{"value":"x"}}`), bad, inv},
		{"email bool", jsonEvent(`{"email":true,"password":"x"}`), bad, inv},
		{"nested object", jsonEvent(`{"user":{"email":"jane@example.com","password":"x"}}`), bad, inv},
		// emails
		{"email empty", jsonEvent(withEmail("")), bad, inv},
		{"email no at", jsonEvent(withEmail("jane.example.com")), bad, inv},
		{"email missing domain", jsonEvent(withEmail("jane@")), bad, inv},
		{"email missing local", jsonEvent(withEmail("@example.com")), bad, inv},
		{"email single label domain", jsonEvent(withEmail("jane@localhost")), bad, inv},
		{"email display name", jsonEvent(withEmail("Jane Doe <jane@example.com>")), bad, inv},
		{"email comment", jsonEvent(withEmail("jane(comment)@example.com")), bad, inv},
		{"email ip literal", jsonEvent(withEmail("jane@[127.0.0.1]")), bad, inv},
		{"email numeric domain", jsonEvent(withEmail("jane@127.0.0.1")), bad, inv},
		{"email two ats", jsonEvent(withEmail("jane@doe@example.com")), bad, inv},
		{"email leading dot", jsonEvent(withEmail(".jane@example.com")), bad, inv},
		{"email double dot", jsonEvent(withEmail("ja..ne@example.com")), bad, inv},
		{"email quoted local", jsonEvent(withEmail(`"jane doe"@example.com`)), bad, inv},
		{"email space", jsonEvent(withEmail("jane @example.com")), bad, inv},
		{"email leading space", jsonEvent(withEmail(" jane@example.com")), bad, inv},
		{"email newline", jsonEvent(withEmail("jane@example.com\n")), bad, inv},
		{"email NUL", jsonEvent(withEmail("jane\x00@example.com")), bad, inv},
		{"email control char", jsonEvent(withEmail("ja\x07ne@example.com")), bad, inv},
		{"email hyphen label", jsonEvent(withEmail("jane@-example.com")), bad, inv},
		{"email 255 chars", jsonEvent(withEmail(strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com")), bad, inv},
		{"email local over 64", jsonEvent(withEmail(strings.Repeat("a", 65) + "@example.com")), bad, inv},
		{"email label over 63", jsonEvent(withEmail("jane@" + strings.Repeat("b", 64) + ".com")), bad, inv},
		{"email cyrillic look-alike", jsonEvent(withEmail("j\u0430ne@example.com")), bad, inv},
		{"email fullwidth at", jsonEvent(withEmail("jane\uff20example.com")), bad, inv},
		{"email unicode domain", jsonEvent(withEmail("jane@ex\u00e4mple.com")), bad, inv},
		{"email zero-width space", jsonEvent(withEmail("jane\u200b@example.com")), bad, inv},
		// passwords
		{"password empty", jsonEvent(withPassword("")), bad, inv},
		{"password 1025 bytes", jsonEvent(withPassword(strings.Repeat("p", 1025))), bad, inv},
		{"password 1025 bytes multibyte", jsonEvent(withPassword(strings.Repeat("\u00e9", 513))), bad, inv},
		{"password NUL", jsonEvent(withPassword("Correct\x00Horse")), bad, inv},
		{"password 1 MiB", jsonEvent(withPassword(strings.Repeat("p", 1<<20))), tooLarge, big},
		// size
		{"body just over 16 KiB", jsonEvent(withEmail("jane@example.com") + strings.Repeat(" ", 16<<10)), tooLarge, big},
		{"base64 over 16 KiB", func() events.APIGatewayV2HTTPRequest {
			ev := jsonEvent(base64.StdEncoding.EncodeToString([]byte(strings.Repeat(" ", 17<<10))))
			ev.IsBase64Encoded = true
			return ev
		}(), tooLarge, big},
		// base64
		{"invalid base64", func() events.APIGatewayV2HTTPRequest {
			ev := jsonEvent("not base64 at all!")
			ev.IsBase64Encoded = true
			return ev
		}(), bad, inv},
		{"base64 of garbage", func() events.APIGatewayV2HTTPRequest {
			ev := jsonEvent(base64.StdEncoding.EncodeToString([]byte("\x00\x01\x02")))
			ev.IsBase64Encoded = true
			return ev
		}(), bad, inv},
		// content types
		{"text/plain", event("POST", "text/plain", withPassword("Correct-Horse-42")), media, unsup},
		{"form urlencoded", event("POST", "application/x-www-form-urlencoded", "email=a%40b.co&password=x"), media, unsup},
		{"multipart", event("POST", "multipart/form-data; boundary=x", "--x--"), media, unsup},
		{"json-like vendor type", event("POST", "application/jsonx", withPassword("Correct-Horse-42")), media, unsup},
		{"malformed content type", event("POST", "application/json; charset", withPassword("Correct-Horse-42")), media, unsup},
		{"content type garbage", event("POST", ";;;", withPassword("Correct-Horse-42")), media, unsup},
		// methods
		{"GET", event("GET", "", ""), method, notAllowed},
		{"PUT", event("PUT", "application/json", withPassword("Correct-Horse-42")), method, notAllowed},
		{"DELETE", event("DELETE", "", ""), method, notAllowed},
		{"OPTIONS", event("OPTIONS", "", ""), method, notAllowed},
		{"PATCH", event("PATCH", "application/json", withPassword("Correct-Horse-42")), method, notAllowed},
		// events missing parts
		{"no method in requestContext", event("", "application/json", withPassword("Correct-Horse-42")), bad, inv},
		{"zero event", events.APIGatewayV2HTTPRequest{}, bad, inv},
	}
	return cases
}
