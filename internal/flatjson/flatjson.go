// Package flatjson is the fast path in front of encoding/json for the small,
// flat JSON documents on the request path: the {"email","password"} body,
// Auth0's signup and token answers, and our own answers. encoding/json
// stays the reference: Object only takes documents whose meaning is
// unambiguous without it, and its callers hand anything else to
// encoding/json, so the outcome (value or error) is the same either way.
// AppendString writes exactly what encoding/json's Marshal writes.
package flatjson

import (
	"unicode/utf8"
)

// Kind is the JSON type of a member's value.
type Kind uint8

// The kinds of values Object reports.
const (
	String Kind = iota + 1 // value is the content between the quotes
	Number                 // value is the literal, e.g. -12.5e3
	True
	False
	Null
)

// Object calls fn for each member of the JSON object data, in document
// order. A String value is the string's content, which encoding/json would
// decode to the same bytes: Object only accepts strings (and keys) without
// escapes, control characters or invalid UTF-8. It returns false, and the
// caller must fall back to encoding/json, when data is anything else: not a
// single object surrounded by white space, a value that is an object or
// array, a string outside that subset, malformed JSON, or fn returning
// false. value and key alias data.
func Object(data []byte, fn func(key []byte, kind Kind, value []byte) bool) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return skipSpace(data, i+1) == len(data)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return false
		}
		key, next, ok := plainString(data, i)
		if !ok {
			return false
		}
		i = skipSpace(data, next)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = skipSpace(data, i+1)
		kind, value, next, ok := scalar(data, i)
		if !ok || !fn(key, kind, value) {
			return false
		}
		i = skipSpace(data, next)
		if i >= len(data) {
			return false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return skipSpace(data, i+1) == len(data)
		default:
			return false
		}
	}
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON white space.
func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// plainString reads the string starting at data[i] == '"' and returns its
// content and the index after the closing quote; ok is false for escapes,
// control characters, invalid UTF-8 or a missing closing quote.
func plainString(data []byte, i int) (content []byte, next int, ok bool) {
	start := i + 1
	ascii := true
	for j := start; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			content = data[start:j]
			if !ascii && !utf8.Valid(content) {
				return nil, 0, false
			}
			return content, j + 1, true
		case c == '\\' || c < 0x20:
			return nil, 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, 0, false
}

func scalar(data []byte, i int) (kind Kind, value []byte, next int, ok bool) {
	if i >= len(data) {
		return 0, nil, 0, false
	}
	switch c := data[i]; {
	case c == '"':
		s, next, ok := plainString(data, i)
		return String, s, next, ok
	case c == '-' || ('0' <= c && c <= '9'):
		next, ok := number(data, i)
		if !ok {
			return 0, nil, 0, false
		}
		return Number, data[i:next], next, true
	case c == 't':
		return literal(data, i, "true", True)
	case c == 'f':
		return literal(data, i, "false", False)
	case c == 'n':
		return literal(data, i, "null", Null)
	}
	return 0, nil, 0, false // an object, an array or not JSON
}

func literal(data []byte, i int, word string, kind Kind) (Kind, []byte, int, bool) {
	end := i + len(word)
	if end > len(data) || string(data[i:end]) != word {
		return 0, nil, 0, false
	}
	return kind, data[i:end], end, true
}

// number checks the JSON number grammar,
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, from data[i] and returns
// the index after it.
func number(data []byte, i int) (int, bool) {
	if data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && '1' <= data[i] && data[i] <= '9':
		i = digits(data, i)
	default:
		return 0, false
	}
	if i < len(data) && data[i] == '.' {
		j := digits(data, i+1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := digits(data, i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}

func digits(data []byte, i int) int {
	for i < len(data) && '0' <= data[i] && data[i] <= '9' {
		i++
	}
	return i
}

// AppendString appends s as a JSON string exactly as encoding/json's Marshal
// writes it: HTML-safe (<, > and & as \u003c, \u003e, \u0026), invalid UTF-8
// as \ufffd, and U+2028 and U+2029 escaped.
func AppendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
