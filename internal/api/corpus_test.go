package api

import (
	"encoding/base64"
	"encoding/json"
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
		{"password lone high surrogate escape", jsonEvent(`{"email":"jane@example.com","password":"Correct-\ud800-Horse"}`), bad, inv},
		{"password lone low surrogate escape", jsonEvent(`{"email":"jane@example.com","password":"Correct-Horse-\udfff"}`), bad, inv},
		{"password reversed surrogate pair", jsonEvent(`{"email":"jane@example.com","password":"Correct-\ude00\ud83d"}`), bad, inv},
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
	return append(cases, moreBadRequests()...)
}

// moreBadRequests extends the corpus with the rest of issue 4's list: more
// encodings, nesting, look-alikes, odd methods and content types, and events
// as the Lambda runtime decodes them from JSON with parts missing.
func moreBadRequests() []badRequest {
	const bad, tooLarge, media, method = 400, 413, 415, 405
	inv, big, unsup, notAllowed := "invalid_request", "payload_too_large", "unsupported_media_type", "method_not_allowed"
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	b64 := func(body string, enc *base64.Encoding) events.APIGatewayV2HTTPRequest {
		ev := jsonEvent(enc.EncodeToString([]byte(body)))
		ev.IsBase64Encoded = true
		return ev
	}
	return []badRequest{
		// JSON structure and encoding
		{"utf-8 BOM before object", jsonEvent("\xef\xbb\xbf" + withPassword("Correct-Horse-42")), bad, inv},
		{"raw NUL byte between tokens", jsonEvent("{\"email\":\"jane@example.com\",\x00\"password\":\"x\"}"), bad, inv},
		{"raw control char in string", jsonEvent("{\"email\":\"jane@example.com\",\"password\":\"a\x01b\"}"), bad, inv},
		{"raw newline in string", jsonEvent("{\"email\":\"jane@example.com\",\"password\":\"a\nb\"}"), bad, inv},
		{"invalid utf-8 in key", jsonEvent("{\"em\xffail\":\"jane@example.com\",\"password\":\"x\"}"), bad, inv},
		{"invalid utf-8 in unknown field", jsonEvent("{\"email\":\"jane@example.com\",\"password\":\"x\",\"n\":\"\xc3\"}"), bad, inv},
		{"overlong utf-8 encoding", jsonEvent("{\"email\":\"jane@example.com\",\"password\":\"\xc0\xaf\"}"), bad, inv},
		{"utf-8 encoded surrogate", jsonEvent("{\"email\":\"jane@example.com\",\"password\":\"\xed\xa0\x80\"}"), bad, inv},
		{"duplicate email by escape", jsonEvent(`{"email":"a@example.com","em\u0061il":"b@example.com","password":"Correct-Horse-42"}`), bad, inv},
		{"duplicate password by escape", jsonEvent(`{"email":"jane@example.com","password":"a","p\u0061ssword":"b"}`), bad, inv},
		{"duplicate keys, first invalid", jsonEvent(`{"email":null,"email":"jane@example.com","password":"Correct-Horse-42"}`), bad, inv},
		{"deeply nested unclosed", jsonEvent(`{"email":"jane@example.com","password":"x","deep":` + strings.Repeat("[", 5000)), bad, inv},
		{"deeply nested email", jsonEvent(`{"email":` + deep(4000) + `,"password":"x"}`), bad, inv},
		{"deeply nested body", jsonEvent(deep(8000)), bad, inv},
		{"nested object as password", jsonEvent(`{"email":"jane@example.com","password":{"password":{"password":"x"}}}`), bad, inv},
		{"email huge number", jsonEvent(`{"email":1e999999999,"password":"x"}`), bad, inv},
		{"password 400-digit number", jsonEvent(`{"email":"jane@example.com","password":` + strings.Repeat("9", 400) + `}`), bad, inv},
		{"password negative zero", jsonEvent(`{"email":"jane@example.com","password":-0}`), bad, inv},
		{"unknown field 17 KiB string", jsonEvent(`{"email":"jane@example.com","password":"x","pad":"` + strings.Repeat("a", 17<<10) + `"}`), tooLarge, big},
		{"email escaped NUL", jsonEvent(`{"email":"jane\u0000@example.com","password":"Correct-Horse-42"}`), bad, inv},
		{"password escaped NUL at end", jsonEvent(`{"email":"jane@example.com","password":"Correct-Horse-42\u0000"}`), bad, inv},
		{"empty key only", jsonEvent(`{"":"jane@example.com"}`), bad, inv},
		// emails
		{"email ipv6 literal", jsonEvent(withEmail("jane@[IPv6:2001:db8::1]")), bad, inv},
		{"email trailing dot domain", jsonEvent(withEmail("jane@example.com.")), bad, inv},
		{"email tab", jsonEvent(withEmail("jane\t@example.com")), bad, inv},
		{"email display name only angle", jsonEvent(withEmail("<jane@example.com>")), bad, inv},
		{"email mailto", jsonEvent(withEmail("mailto:jane@example.com")), bad, inv},
		{"email domain comment", jsonEvent(withEmail("jane@example.com(work)")), bad, inv},
		{"email underscore domain", jsonEvent(withEmail("jane@exa_mple.com")), bad, inv},
		{"email all-digit tld", jsonEvent(withEmail("jane@example.123")), bad, inv},
		{"email 1 KiB", jsonEvent(withEmail(strings.Repeat("a", 1000) + "@example.com")), bad, inv},
		{"email greek omicron look-alike", jsonEvent(withEmail("jane@examp\u03bfle.com")), bad, inv},
		{"email fullwidth letters", jsonEvent(withEmail("\uff4aane@example.com")), bad, inv},
		{"email combining accent", jsonEvent(withEmail("jane\u0301@example.com")), bad, inv},
		{"email right-to-left override", jsonEvent(withEmail("jane\u202e@example.com")), bad, inv},
		{"email escaped look-alike", jsonEvent(`{"email":"j\u0430ne@example.com","password":"Correct-Horse-42"}`), bad, inv},
		// passwords
		{"password 1024 multibyte plus one", jsonEvent(withPassword(strings.Repeat("\u00e9", 512) + "x")), bad, inv},
		{"password 4096 bytes", jsonEvent(withPassword(strings.Repeat("Aa1-", 1024))), bad, inv},
		{"password 1 MiB base64", b64(withPassword(strings.Repeat("p", 1<<20)), base64.StdEncoding), tooLarge, big},
		// base64
		{"base64 url alphabet", b64(withPassword("Correct-Horse-42?>?>"), base64.URLEncoding), bad, inv},
		{"base64 without padding", b64(withPassword("Correct-Horse-42"), base64.RawStdEncoding), bad, inv},
		{"base64 empty", b64("", base64.StdEncoding), bad, inv},
		{"base64 of whitespace", b64(" \n ", base64.StdEncoding), bad, inv},
		{"base64 of invalid utf-8", b64("{\"email\":\"jane@example.com\",\"password\":\"\xff\"}", base64.StdEncoding), bad, inv},
		{"base64 of json array", b64(`[1,2]`, base64.StdEncoding), bad, inv},
		{"base64 flag on plain json", func() events.APIGatewayV2HTTPRequest {
			ev := jsonEvent(withPassword("Correct-Horse-42"))
			ev.IsBase64Encoded = true
			return ev
		}(), bad, inv},
		// content types
		{"two content types", event("POST", "application/json, text/plain", withPassword("Correct-Horse-42")), media, unsup},
		{"json subtype suffix", event("POST", "application/vnd.api+json", withPassword("Correct-Horse-42")), media, unsup},
		{"text/json", event("POST", "text/json", withPassword("Correct-Horse-42")), media, unsup},
		{"wildcard type", event("POST", "*/*", withPassword("Correct-Horse-42")), media, unsup},
		{"content type with NUL", event("POST", "application/json\x00", withPassword("Correct-Horse-42")), media, unsup},
		{"json with unterminated param", event("POST", `application/json; charset="utf-8`, withPassword("Correct-Horse-42")), media, unsup},
		// methods
		{"HEAD", event("HEAD", "", ""), method, notAllowed},
		{"lower-case get", event("get", "", ""), method, notAllowed},
		{"look-alike P0ST", event("P0ST", "application/json", withPassword("Correct-Horse-42")), method, notAllowed},
		{"POST with space", event("POST ", "application/json", withPassword("Correct-Horse-42")), method, notAllowed},
		{"CONNECT", event("CONNECT", "", ""), method, notAllowed},
		// events as the runtime decodes them, with parts missing
		{"event without requestContext", decodedEvent(`{"version":"2.0","headers":{"content-type":"application/json"},"body":` + quote(withPassword("Correct-Horse-42")) + `}`), bad, inv},
		{"event without requestContext.http", decodedEvent(`{"version":"2.0","requestContext":{"requestId":"r1"},"body":` + quote(withPassword("Correct-Horse-42")) + `}`), bad, inv},
		{"event with null http", decodedEvent(`{"requestContext":{"http":null},"body":` + quote(withPassword("Correct-Horse-42")) + `}`), bad, inv},
		{"event with empty method", decodedEvent(`{"requestContext":{"http":{"method":"","sourceIp":"203.0.113.10"}},"body":` + quote(withPassword("Correct-Horse-42")) + `}`), bad, inv},
		{"event without body", decodedEvent(`{"requestContext":{"http":{"method":"POST"}}}`), bad, inv},
		{"event with null body and headers", decodedEvent(`{"requestContext":{"http":{"method":"POST"}},"headers":null,"body":null}`), bad, inv},
		{"empty json event", decodedEvent(`{}`), bad, inv},
	}
}

// decodedEvent is an event as the Lambda runtime hands it over: decoded
// from the JSON API Gateway sent.
func decodedEvent(raw string) events.APIGatewayV2HTTPRequest {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal([]byte(raw), &ev); err != nil {
		panic("corpus: bad event JSON: " + err.Error())
	}
	return ev
}
