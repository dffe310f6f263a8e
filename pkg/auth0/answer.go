package auth0

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/auth0-sam-go/authapi/internal/flatjson"
)

// Auth0's success answers are flat objects of plain strings and numbers.
// decode reads those without encoding/json's reflection (it was a third of
// a warm token request) and hands anything else to json.Unmarshal, so the
// result is always json.Unmarshal's. Both report whether data was readable.

var tokenKeys = [...]string{"access_token", "token_type", "expires_in", "refresh_token", "id_token", "scope"}

func (t *Token) decode(data []byte) bool {
	ok := flatjson.Object(data, func(key []byte, kind flatjson.Kind, v []byte) bool {
		switch string(key) {
		case "access_token":
			return setString(&t.AccessToken, kind, v)
		case "token_type":
			return setString(&t.TokenType, kind, v)
		case "refresh_token":
			return setString(&t.RefreshToken, kind, v)
		case "id_token":
			return setString(&t.IDToken, kind, v)
		case "scope":
			return setString(&t.Scope, kind, v)
		case "expires_in":
			return setInt(&t.ExpiresIn, kind, v)
		}
		return !matchesFold(key, tokenKeys[:])
	})
	if ok {
		return true
	}
	*t = Token{}
	return json.Unmarshal(data, t) == nil
}

var signupKeys = [...]string{"_id", "id", "email", "email_verified"}

func (a *signupAnswer) decode(data []byte) bool {
	ok := flatjson.Object(data, func(key []byte, kind flatjson.Kind, v []byte) bool {
		switch string(key) {
		case "_id":
			return setString(&a.ID, kind, v)
		case "id":
			return setString(&a.AltID, kind, v)
		case "email":
			return setString(&a.Email, kind, v)
		case "email_verified":
			switch kind {
			case flatjson.True, flatjson.False:
				a.EmailVerified = kind == flatjson.True
				return true
			}
			return kind == flatjson.Null
		}
		return !matchesFold(key, signupKeys[:])
	})
	if ok {
		return true
	}
	*a = signupAnswer{}
	return json.Unmarshal(data, a) == nil
}

// setString stores a string as json.Unmarshal would; null leaves it as it
// is. Any other kind is a type error: false sends the answer to encoding/json.
func setString(dst *string, kind flatjson.Kind, v []byte) bool {
	switch kind {
	case flatjson.String:
		*dst = string(v)
		return true
	case flatjson.Null:
		return true
	}
	return false
}

// setInt stores a plain integer that fits an int, or ignores null; anything
// else (a fraction, an exponent, an overflow) goes to encoding/json.
func setInt(dst *int, kind flatjson.Kind, v []byte) bool {
	switch kind {
	case flatjson.Null:
		return true
	case flatjson.Number:
		n, err := strconv.ParseInt(string(v), 10, strconv.IntSize)
		if err != nil {
			return false
		}
		*dst = int(n)
		return true
	}
	return false
}

// matchesFold reports whether encoding/json might take key for one of
// names: it matches field names case-insensitively, with some non-ASCII
// folds (U+017F ſ is s, U+212A K is k).
func matchesFold(key []byte, names []string) bool {
	for _, c := range key {
		if c >= 0x80 {
			return true
		}
	}
	for _, n := range names {
		if strings.EqualFold(string(key), n) {
			return true
		}
	}
	return false
}
