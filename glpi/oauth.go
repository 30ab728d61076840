package glpi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// defaultTokenLife applies when a token answer has no expires_in, as in the
// official agent.
const defaultTokenLife = 60 * time.Second

// tokenURL derives GLPI's OAuth token endpoint from the server URL: the
// path is cut before marketplace/ or plugins/ (inventory plugin URLs) and
// before front/inventory.php or the Inventory route, then api.php/token is
// appended.
func tokenURL(server *url.URL) string {
	u := *server
	u.User, u.RawQuery, u.Fragment, u.RawPath = nil, "", "", ""
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	for i, s := range segs {
		last := i == len(segs)-1
		if s == "marketplace" || s == "plugins" ||
			s == "front" && !last && segs[i+1] == "inventory.php" ||
			last && (s == "Inventory" || s == "index.php") {
			segs = segs[:i]
			break
		}
	}
	u.Path = strings.TrimSuffix("/"+strings.Join(segs, "/"), "/") + "/api.php/token"
	return u.String()
}

// TokenURL returns the OAuth token endpoint derived from the server URL.
func (c *Client) TokenURL() string { return c.tokenURL }

// bearer returns a valid access token, fetching one when none is cached or
// the cached one is about to expire. fresh reports a token just fetched.
// The lock is held during the fetch so that concurrent requests share one.
func (c *Client) bearer(ctx context.Context) (tok string, fresh bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.now().Before(c.tokenExpiry) {
		return c.token, false, nil
	}
	tok, life, err := c.fetchToken(ctx)
	if err != nil {
		return "", false, fmt.Errorf("get OAuth token from %s: %w", c.tokenURL, err)
	}
	c.token = tok
	c.tokenExpiry = c.now().Add(life - min(time.Minute, life/10))
	return tok, true, nil
}

func (c *Client) dropToken() {
	c.mu.Lock()
	c.token = ""
	c.mu.Unlock()
}

// tokenAnswer is the token endpoint's answer, success or error.
type tokenAnswer struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	Message          string `json:"message"`
}

func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	body, err := json.Marshal(map[string]string{
		"grant_type":    "client_credentials",
		"client_id":     c.oauthID,
		"client_secret": c.oauthKey,
		"scope":         "inventory",
	})
	if err != nil {
		return "", 0, err
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL, body)
	if err != nil {
		return "", 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", ContentTypeJSON)
	req.Header.Set("Accept", ContentTypeJSON)
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.hc.Do(req)
	if err != nil {
		if e, ok := tlsError(err); ok {
			return "", 0, e
		}
		return "", 0, unwrapURL(err)
	}
	defer resp.Body.Close()
	b, err := Decode(resp.Header.Get("Content-Type"), resp.Body, maxAnswerBytes)
	if err != nil && resp.StatusCode == http.StatusOK {
		return "", 0, fmt.Errorf("read token: %w", err)
	}
	var ta tokenAnswer
	jsonErr := json.Unmarshal(b, &ta)
	c.log.Debug("glpi oauth token request", "url", c.tokenURL, "status", resp.StatusCode)
	if resp.StatusCode != http.StatusOK {
		e := &Error{StatusCode: resp.StatusCode, Hint: hintAuthOAuth, Err: ErrUnauthorized}
		switch {
		case jsonErr != nil:
			e.Message = excerpt(b)
			if looksHTML(b) {
				e.Message = htmlTitle(b)
			}
		case ta.ErrorDescription != "":
			e.Message = oneLine(ta.ErrorDescription)
		case ta.Message != "":
			e.Message = oneLine(ta.Message)
		default:
			e.Message = oneLine(ta.Error)
		}
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			e.Hint = "the server redirects to " + oneLine(resp.Header.Get("Location")) +
				": the client secret is never sent after a redirect; set the server URL to the GLPI root URL at that address"
			e.Err = ErrNotGLPI
		}
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
			e.Hint = "no OAuth token endpoint at " + c.tokenURL + ": set the server URL to the GLPI root URL (OAuth needs GLPI 11)"
			e.Err = ErrNotGLPI
		}
		return "", 0, e
	}
	switch {
	case jsonErr != nil:
		return "", 0, fmt.Errorf("parse token: %w", jsonErr)
	case ta.AccessToken == "":
		return "", 0, errors.New("parse token: no access_token")
	case ta.TokenType != "" && !strings.EqualFold(ta.TokenType, "bearer"):
		return "", 0, fmt.Errorf("parse token: token type %q, want Bearer", ta.TokenType)
	}
	life := defaultTokenLife
	if ta.ExpiresIn > 0 {
		life = time.Duration(min(ta.ExpiresIn, int64(24*time.Hour/time.Second))) * time.Second
	}
	return ta.AccessToken, life, nil
}
