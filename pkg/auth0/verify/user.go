package verify

import (
	"net/http"

	"github.com/auth0-sam-go/authapi/pkg/auth0"
)

// IsUser reports whether the token was issued to a user rather than to an
// application through the client-credentials grant (gty
// "client-credentials", or a sub "<client_id>@clients"). An application
// authorized for the API gets tokens that pass every other check, so a
// route acting for "the user of this token" must refuse the others.
func (c *Claims) IsUser() bool {
	var gty []string
	switch v := c.Raw["gty"].(type) {
	case string:
		gty = []string{v}
	case []any:
		for _, g := range v {
			if s, ok := g.(string); ok {
				gty = append(gty, s)
			}
		}
	}
	return c.Subject != "" && !auth0.IsMachineToken(c.Subject, gty...)
}

var userTokenRequiredBody = mustJSON(errorBody{Error: "Forbidden", Code: "user_token_required",
	Message: "this route needs a user's access token, not an application's"})

// RequireUser answers 403 user_token_required unless the claims that
// Middleware or Lambda put in the request context belong to a user (see
// IsUser); put it inside Middleware.
func RequireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := ClaimsFrom(r.Context()); !ok || !c.IsUser() {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusForbidden)
			w.Write(userTokenRequiredBody)
			return
		}
		next.ServeHTTP(w, r)
	})
}
