package auth0

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind is what an Auth0 failure means to the caller, independent of how
// Auth0 spelled it.
type Kind int

const (
	// KindUpstream: Auth0 failed (5xx, dropped connection, unreadable answer).
	KindUpstream Kind = iota
	// KindTimeout: Auth0 did not answer within the deadline.
	KindTimeout
	// KindInvalidSignup: the user exists or Auth0 refused the signup.
	KindInvalidSignup
	// KindWeakPassword: the password fails the connection's policy.
	KindWeakPassword
	// KindInvalidCredentials: wrong email or password, or unknown user.
	KindInvalidCredentials
	// KindAccessDenied: the user may not log in this way (blocked, a rejected MFA push,
	// leaked password, bot detection, a rule or Action).
	KindAccessDenied
	// KindTooManyAttempts: brute-force or suspicious-IP protection.
	KindTooManyAttempts
	// KindRateLimited: the tenant's API rate limit.
	KindRateLimited
	// KindClientRejected: Auth0 rejected the client id or secret. The secret
	// may have been rotated; callers re-read it and retry once.
	KindClientRejected
	// KindMisconfigured: the tenant or this deployment is set up wrongly.
	KindMisconfigured
	// KindSessionExpired: the refresh token is invalid, expired, revoked or
	// reused, or its user is gone: the user must sign in again.
	KindSessionExpired
	// KindInvalidGrant: the authorization code is bad, expired or used, or
	// the redirect URI or PKCE verifier does not match it.
	KindInvalidGrant
	// KindMFARequired: the password was right and the tenant wants a
	// second factor; Error.MFAToken carries the way forward.
	KindMFARequired
	// KindInvalidMFACode: a wrong or expired OTP, binding, OOB or recovery
	// code.
	KindInvalidMFACode
	// KindMFATokenInvalid: the mfa_token is expired, malformed or another
	// client's: the user must sign in again.
	KindMFATokenInvalid
	// KindAuthorizationPending: an out-of-band challenge is not approved
	// yet; poll again.
	KindAuthorizationPending
	// KindSlowDown: the out-of-band challenge is polled too often.
	KindSlowDown
	// KindAlreadyEnrolled: the user has a factor; challenge it rather than
	// enroll another.
	KindAlreadyEnrolled
	// KindEnrollmentRequired: the user has no factor this application can
	// challenge.
	KindEnrollmentRequired
	// KindNotFound: the Management API has no such user.
	KindNotFound
)

var kindNames = [...]string{
	KindUpstream:             "upstream",
	KindTimeout:              "timeout",
	KindInvalidSignup:        "invalid_signup",
	KindWeakPassword:         "weak_password",
	KindInvalidCredentials:   "invalid_credentials",
	KindAccessDenied:         "access_denied",
	KindTooManyAttempts:      "too_many_attempts",
	KindRateLimited:          "rate_limited",
	KindClientRejected:       "client_rejected",
	KindMisconfigured:        "misconfigured",
	KindSessionExpired:       "session_expired",
	KindInvalidGrant:         "invalid_grant",
	KindMFARequired:          "mfa_required",
	KindInvalidMFACode:       "invalid_mfa_code",
	KindMFATokenInvalid:      "mfa_token_invalid",
	KindAuthorizationPending: "authorization_pending",
	KindSlowDown:             "slow_down",
	KindAlreadyEnrolled:      "already_enrolled",
	KindEnrollmentRequired:   "enrollment_required",
	KindNotFound:             "not_found",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is a failed Auth0 call. Its text never contains credentials.
type Error struct {
	Kind Kind
	// Status is Auth0's HTTP status; 0 when no answer arrived.
	Status int
	// Code is Auth0's raw code ("user_exists", "invalid_grant", ...).
	Code string
	// Name is the /dbconnections error name, e.g. "PasswordStrengthError".
	Name string
	// Description is Auth0's description when it was a string.
	Description string
	// Policy is the human-readable password policy of a password error.
	Policy string
	// Rules are the password rules when Auth0 sent them as an object.
	Rules []PasswordRule
	// RetryAfter is how long to wait after a rate limit.
	RetryAfter time.Duration
	// Err is the transport error, when there was one.
	Err error
	// MFAToken is the mfa_token of an mfa_required answer: a 10-minute
	// credential, so Error() never prints it.
	MFAToken string
	// management marks a failure of the Management API or of its
	// client-credentials token, whose fixes Hint names differently.
	management bool
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("auth0: ")
	b.WriteString(e.Kind.String())
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d", e.Status)
		if e.Code != "" {
			b.WriteString(" " + e.Code)
		}
		b.WriteString(")")
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// PasswordRule is one rule of Auth0's password policy as it reports it.
type PasswordRule struct {
	Message  string         `json:"message"`
	Format   []any          `json:"format"`
	Code     string         `json:"code"`
	Verified bool           `json:"verified"`
	Items    []PasswordRule `json:"items"`
}

// Bounds on what an error answer can make us keep or say: Auth0's real
// answers are far below them, and a hostile one must not make our answers
// or logs large.
const (
	maxRules       = 16   // rules, and items per rule
	maxRuleArgs    = 8    // values in a rule's format
	maxRuleText    = 200  // bytes of one rule's text
	maxDescription = 300  // bytes of a description we keep
	maxRulesText   = 2048 // bytes of all unmet rules together
)

// Text is the rule's message with its %d (or %s) placeholders replaced by
// the rule's format values in order. It is plain substitution, not a format
// engine: Auth0's text is data, and widths or verbs in it mean nothing.
func (r PasswordRule) Text() string {
	msg := clip(r.Message, maxRuleText)
	args := r.Format[:min(len(r.Format), maxRuleArgs)]
	var b strings.Builder
	for b.Len() < maxRuleText {
		i := strings.IndexByte(msg, '%')
		if i < 0 || i == len(msg)-1 {
			b.WriteString(msg)
			break
		}
		b.WriteString(msg[:i])
		switch verb := msg[i+1]; {
		case verb == '%':
			b.WriteByte('%')
		case (verb == 'd' || verb == 's') && len(args) > 0:
			b.WriteString(formatValue(args[0]))
			args = args[1:]
		default:
			b.WriteString(msg[i : i+2])
		}
		msg = msg[i+2:]
	}
	return clip(b.String(), maxRuleText)
}

// formatValue writes one format value: a whole number as digits, a short
// string as it is, anything else as nothing.
func formatValue(v any) string {
	switch v := v.(type) {
	case float64:
		if v == float64(int64(v)) {
			return strconv.FormatInt(int64(v), 10)
		}
	case string:
		return clip(v, 32)
	}
	return ""
}

// clip cuts s to at most n bytes without splitting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// UnmetRules describes, one string per rule, what the password lacks, in
// at most maxRulesText bytes in all. It falls back to the description or
// the policy text when Auth0 sent no rules.
func (e *Error) UnmetRules() []string {
	var out []string
	budget := maxRulesText
	for _, r := range e.Rules {
		if r.Verified {
			continue
		}
		text := strings.TrimSuffix(r.Text(), ":")
		var missing []string
		for _, item := range r.Items {
			if !item.Verified {
				missing = append(missing, item.Text())
			}
		}
		if len(missing) > 0 {
			text += " (missing: " + strings.Join(missing, ", ") + ")"
		}
		if len(text) > budget {
			break
		}
		budget -= len(text)
		out = append(out, text)
	}
	if len(out) == 0 && e.Description != "" {
		out = append(out, e.Description)
	}
	if len(out) == 0 && e.Policy != "" {
		out = append(out, e.Policy)
	}
	return out
}

// wireError holds both of Auth0's error shapes:
// /dbconnections: {name, code, description, message, policy, statusCode}
// /oauth:         {error, error_description}
type wireError struct {
	Name             string          `json:"name"`
	Code             string          `json:"code"`
	Description      json.RawMessage `json:"description"`
	Policy           string          `json:"policy"`
	Error            json.RawMessage `json:"error"`
	ErrorDescription string          `json:"error_description"`
	MFAToken         string          `json:"mfa_token"`
}

type wireRules struct {
	Rules []PasswordRule `json:"rules"`
}

// boundRules keeps at most maxRules rules of at most maxRules items each;
// deeper nesting is dropped, since UnmetRules reads one level of items.
func boundRules(rules []PasswordRule) []PasswordRule {
	rules = rules[:min(len(rules), maxRules)]
	for i := range rules {
		items := rules[i].Items[:min(len(rules[i].Items), maxRules)]
		for j := range items {
			items[j].Items = nil
		}
		rules[i].Items = items
	}
	return rules
}

// parseError decodes an error answer. A body that is not one of Auth0's
// shapes still gives an *Error, with the status deciding the Kind. sent are
// the credentials the request carried: an answer that echoes one keeps it
// as "[redacted]".
func parseError(status int, header http.Header, body []byte, classify func(*Error), sent ...string) *Error {
	e := &Error{Status: status}
	var w wireError
	if err := json.Unmarshal(body, &w); err == nil {
		e.Name = w.Name
		e.Code = w.Code
		e.Policy = w.Policy
		// "error" is the code in the /oauth shape; older /dbconnections
		// answers used it for a sentence ({"error":"public signup is disabled"}).
		var errText string
		if len(w.Error) > 0 && json.Unmarshal(w.Error, &errText) == nil {
			if e.Code == "" && !strings.Contains(errText, " ") {
				e.Code = errText
			} else if e.Description == "" {
				e.Description = errText
			}
		}
		if w.ErrorDescription != "" {
			e.Description = w.ErrorDescription
		}
		if len(w.MFAToken) <= maxMFAToken {
			// A longer one is not Auth0's (theirs are under 1 KiB) and is
			// not passed on.
			e.MFAToken = w.MFAToken
		}
		if len(w.Description) > 0 {
			var text string
			var rules wireRules
			if json.Unmarshal(w.Description, &text) == nil {
				e.Description = text
			} else if json.Unmarshal(w.Description, &rules) == nil {
				e.Rules = boundRules(rules.Rules)
			}
		}
	} else if status < 500 && status != http.StatusTooManyRequests {
		// A 4xx we cannot read is not something the user did wrong. A 429
		// is a rate limit whatever its body: it must not be retried.
		e.Kind = KindUpstream
		e.Description = "unreadable error body"
		return e
	}
	// Redacted before clipping, so no prefix of a credential is left. The
	// code and name too: Error() and the logs show them.
	e.Code, e.Name = redact(e.Code, sent), redact(e.Name, sent)
	e.Description = clip(redact(e.Description, sent), maxDescription)
	e.Policy = clip(redact(e.Policy, sent), 4*maxRuleText)
	classify(e)
	if e.Kind == KindRateLimited || e.Kind == KindTooManyAttempts {
		e.RetryAfter = retryAfter(header, time.Now())
	}
	return e
}

// redact replaces each of sent in s; values too short to be credentials
// are left, lest common words vanish.
func redact(s string, sent []string) string {
	for _, v := range sent {
		if len(v) >= 4 && strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}

// tooManyKind tells brute-force protection (too_many_attempts) from the
// tenant's rate limit: both are 429.
func tooManyKind(code string) Kind {
	if code == "too_many_attempts" {
		return KindTooManyAttempts
	}
	return KindRateLimited
}

func classifySignup(e *Error) {
	desc := strings.ToLower(e.Description)
	switch {
	case e.Status == http.StatusTooManyRequests:
		e.Kind = tooManyKind(e.Code)
	case e.Status >= 500:
		e.Kind = KindUpstream
	case e.Code == "invalid_password" || strings.HasPrefix(e.Name, "Password"):
		e.Kind = KindWeakPassword
	case e.Status == http.StatusBadRequest && (strings.HasPrefix(e.Code, "bad.") ||
		strings.Contains(desc, "signup is disabled") || strings.Contains(desc, "connection")):
		// bad.connection, bad.client_id, disabled signups: our settings, not the user.
		e.Kind = KindMisconfigured
	case e.Status == http.StatusBadRequest || e.Status == http.StatusConflict:
		// user_exists, username_exists, invalid_signup, password_leaked, a
		// rule's "unauthorized": all a refused signup to the user.
		e.Kind = KindInvalidSignup
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden || e.Status == http.StatusNotFound:
		e.Kind = KindMisconfigured
	default:
		e.Kind = KindUpstream
	}
}

// classifyToken reads an /oauth/token error; what invalid_grant means
// depends on the grant that was sent.
func classifyToken(e *Error, grant string) {
	if isMFAGrant(grant) {
		classifyMFA(e)
		return
	}
	desc := strings.ToLower(e.Description)
	switch {
	case e.Status == http.StatusTooManyRequests:
		e.Kind = tooManyKind(e.Code)
	case e.Status >= 500:
		if strings.Contains(desc, "default connection") {
			e.Kind = KindMisconfigured
		} else {
			e.Kind = KindUpstream
		}
	case desc == "user is blocked":
		// Seen with both "unauthorized" (401) and "invalid_grant" (403).
		e.Kind = KindAccessDenied
	case e.Code == "invalid_client",
		e.Code == "access_denied" && e.Status == http.StatusUnauthorized && desc == "unauthorized":
		e.Kind = KindClientRejected
	case grant == RefreshTokenGrant && (e.Code == "invalid_grant" ||
		e.Code == "access_denied" && strings.Contains(desc, "refresh token")):
		// Unknown, expired, revoked or reused token, or a deleted user; older
		// tenants said access_denied. Whatever the cause: sign in again.
		e.Kind = KindSessionExpired
	case grant == AuthorizationCodeGrant && e.Code == "invalid_grant":
		e.Kind = KindInvalidGrant
	case e.Code == "invalid_grant":
		e.Kind = KindInvalidCredentials
	case e.Code == "access_denied" && strings.HasPrefix(desc, "service not found"):
		e.Kind = KindMisconfigured // unknown audience
	case e.Code == "mfa_required" && e.MFAToken != "":
		e.Kind = KindMFARequired
	case e.Code == "access_denied", e.Code == "mfa_required", e.Code == "password_leaked",
		e.Code == "requires_verification", e.Code == "unauthorized":
		e.Kind = KindAccessDenied
	case e.Code == "unauthorized_client", e.Code == "unsupported_grant_type",
		e.Code == "invalid_request", e.Code == "invalid_scope", e.Code == "server_error":
		// Our input is validated before it is sent, so these are our settings:
		// grant not enabled, unknown realm, disabled connection, bad scope.
		e.Kind = KindMisconfigured
	default:
		e.Kind = KindUpstream
	}
}

// classifyRevoke reads an /oauth/revoke error: the token is checked before
// it is sent, so a 4xx is about our client or settings.
func classifyRevoke(e *Error) {
	switch {
	case e.Status == http.StatusTooManyRequests:
		e.Kind = tooManyKind(e.Code)
	case e.Status >= 500:
		e.Kind = KindUpstream
	case e.Code == "invalid_client" || e.Status == http.StatusUnauthorized:
		e.Kind = KindClientRejected
	case e.Status >= 400:
		e.Kind = KindMisconfigured
	default:
		e.Kind = KindUpstream
	}
}

// classifyChangePassword reads a /dbconnections/change_password error: the
// email is checked before it is sent, so a 4xx means the client id or
// connection is wrong. Every 429 is a rate limit (no login is attempted).
func classifyChangePassword(e *Error) {
	switch {
	case e.Status == http.StatusTooManyRequests:
		e.Kind = KindRateLimited
	case e.Status >= 500:
		e.Kind = KindUpstream
	case e.Status >= 400:
		e.Kind = KindMisconfigured
	default:
		e.Kind = KindUpstream
	}
}

// retryAfter reads Auth0's X-RateLimit-Reset (UTC epoch seconds), or a
// standard Retry-After, and never returns less than one second.
func retryAfter(h http.Header, now time.Time) time.Duration {
	const maxWait = time.Hour
	const maxSecs = int64(maxWait/time.Second) + 1
	wait := time.Second
	// Both values are clamped before conversion: a huge one must give the
	// cap, not an overflowed duration.
	if reset, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64); err == nil {
		wait = time.Unix(min(max(reset, now.Unix()), now.Unix()+maxSecs), 0).Sub(now)
	} else if secs, err := strconv.ParseInt(strings.TrimSpace(h.Get("Retry-After")), 10, 64); err == nil {
		wait = time.Duration(min(max(secs, 0), maxSecs)) * time.Second
	}
	switch {
	case wait < time.Second:
		wait = time.Second
	case wait > maxWait:
		wait = maxWait
	}
	return wait.Round(time.Second)
}

// Hint tells an operator what to fix in the Auth0 dashboard or the stack's
// settings when Kind is KindMisconfigured or KindClientRejected.
func (e *Error) Hint() string {
	if e.management {
		return managementHint(e)
	}
	desc := strings.ToLower(e.Description)
	switch {
	case e.Kind == KindClientRejected:
		return "Auth0 rejected the client credentials: check AUTH0_CLIENT_ID and that the secret in Secrets Manager is the application's current Client Secret"
	case e.Code == "unauthorized_client":
		grant := "Password"
		switch {
		case strings.Contains(desc, "'refresh_token'"):
			grant = "Refresh Token"
		case strings.Contains(desc, "'authorization_code'"):
			grant = "Authorization Code"
		case strings.Contains(desc, "grant-type/mfa-"):
			grant = "MFA"
		}
		return "enable the " + grant + " grant: Applications > (your app) > Advanced Settings > Grant Types"
	case strings.HasPrefix(desc, "service not found"):
		return "AUTH0_TOKEN_AUDIENCE matches no API: use an identifier from Applications > APIs"
	case strings.Contains(desc, "default connection"):
		return "set a Default Directory in tenant settings, or use the password-realm grant"
	case strings.Contains(desc, "signup is disabled"):
		return "enable sign ups on the database connection (Authentication > Database > (connection) > Disable Sign Ups)"
	case strings.Contains(desc, "connection") || strings.Contains(desc, "realm") || strings.HasPrefix(e.Code, "bad."):
		return "check AUTH0_CONNECTION names a database connection that is enabled for the application"
	case e.Code == "invalid_scope":
		return "check AUTH0_SCOPE"
	case strings.Contains(desc, "mfa") || strings.Contains(desc, "authenticator") || strings.Contains(desc, "challenge"):
		return "check the MFA settings: the MFA grant on the application (Advanced Settings > Grant Types) and the factors enabled under Security > Multi-factor Auth"
	case e.Status == 401 || e.Status == 403 || e.Status == 404:
		return "check AUTH0_TOKEN_ISSUER and AUTH0_CLIENT_ID"
	}
	return "check the Auth0 application, API and connection settings"
}
