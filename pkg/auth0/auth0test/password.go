package auth0test

import (
	"strings"
	"unicode/utf8"
)

// The connection's password policy is Auth0's "good": at least 8 characters
// and 3 of the 4 character types. The JSON below is the rules object Auth0
// puts in a PasswordStrengthError's description, field for field.

type passwordRules struct {
	Rules    []any `json:"rules"`
	Verified bool  `json:"verified"`
}

type lengthRule struct {
	Message  string `json:"message"`
	Format   []int  `json:"format"`
	Code     string `json:"code"`
	Verified bool   `json:"verified"`
}

type containsRule struct {
	Message  string     `json:"message"`
	Code     string     `json:"code"`
	Format   []int      `json:"format"`
	Items    []ruleItem `json:"items"`
	Verified bool       `json:"verified"`
}

type ruleItem struct {
	Message  string `json:"message"`
	Code     string `json:"code"`
	Verified bool   `json:"verified"`
}

const (
	minPasswordLength = 8
	minCharTypes      = 3
	passwordPolicy    = "* At least 8 characters in length\n" +
		"* Contain at least 3 of the following 4 types of characters:\n" +
		" * lower case letters (a-z)\n" +
		" * upper case letters (A-Z)\n" +
		" * numbers (i.e. 0-9)\n" +
		" * special characters (e.g. !@#$%^&*)"
)

// specialChars is the set Auth0's password-sheriff counts as special.
const specialChars = " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// checkPassword evaluates the policy; ok is the top-level "verified".
func checkPassword(pw string) (rules passwordRules, ok bool) {
	has := func(pred func(rune) bool) bool { return strings.ContainsFunc(pw, pred) }
	items := []ruleItem{
		{"lower case letters (a-z)", "lowerCase", has(func(r rune) bool { return 'a' <= r && r <= 'z' })},
		{"upper case letters (A-Z)", "upperCase", has(func(r rune) bool { return 'A' <= r && r <= 'Z' })},
		{"numbers (i.e. 0-9)", "numbers", has(func(r rune) bool { return '0' <= r && r <= '9' })},
		{"special characters (e.g. !@#$%^&*)", "specialCharacters", has(func(r rune) bool { return strings.ContainsRune(specialChars, r) })},
	}
	types := 0
	for _, it := range items {
		if it.Verified {
			types++
		}
	}
	length := lengthRule{
		Message: "At least %d characters in length", Format: []int{minPasswordLength},
		Code: "lengthAtLeast", Verified: utf8.RuneCountInString(pw) >= minPasswordLength,
	}
	contains := containsRule{
		Message: "Contain at least %d of the following %d types of characters:", Code: "containsAtLeast",
		Format: []int{minCharTypes, len(items)}, Items: items, Verified: types >= minCharTypes,
	}
	ok = length.Verified && contains.Verified
	return passwordRules{Rules: []any{length, contains}, Verified: ok}, ok
}

// commonPasswords stands in for Auth0's password dictionary: passwords that
// pass the strength policy yet are too common. Compared in lower case.
var commonPasswords = map[string]bool{
	"password123!": true, "passw0rd!": true, "p@ssw0rd": true, "p@ssw0rd1": true,
	"password1!": true, "password1": true, "welcome1!": true, "welcome123!": true,
	"qwerty123!": true, "letmein123!": true, "admin123!": true, "changeme1!": true,
	"iloveyou1!": true, "abc123!@#": true,
}

func isCommonPassword(pw string) bool { return commonPasswords[strings.ToLower(pw)] }

// isLeakedLocked reports a breached password: one LeakPassword named, or one
// of Auth0's documented test passwords for breached-password detection.
func (s *Server) isLeakedLocked(pw string) bool {
	return s.leaked[pw] || pw == "Paaf213XXYYZZ" || strings.HasPrefix(pw, "AUTH0-TEST-")
}
