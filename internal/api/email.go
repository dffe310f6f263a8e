package api

import "strings"

// checkEmail accepts the addresses people type: a dot-atom local part and a
// DNS host name, ASCII only. Display names, comments, quoted local parts, IP
// literals and Unicode look-alikes are refused, though RFC 5322 allows some
// of them: no real mailbox for a login needs them, and each is a way to make
// two strings name one account.
func checkEmail(email string) error {
	const msg = "email: must be a valid email address"
	if email == "" {
		return invalid("email: must not be empty")
	}
	if len(email) > MaxEmailBytes {
		return invalid("email: must be at most 254 characters")
	}
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return invalid(msg)
	}
	local, domain := email[:at], email[at+1:]
	if len(local) > 64 || !isDotAtom(local) || !isHostname(domain) {
		return invalid(msg)
	}
	return nil
}

func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAtext(s[i]) && s[i] != '.' {
			return false
		}
	}
	return true
}

func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

func isHostname(s string) bool {
	labels := strings.Split(s, ".")
	if len(s) > 253 || len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	// A top-level domain is never all digits: that would be an IP address.
	tld := labels[len(labels)-1]
	return strings.Trim(tld, "0123456789") != ""
}
