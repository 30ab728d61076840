package glpi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Defaults applied by New.
const (
	DefaultTimeout = 180 * time.Second
	DefaultRetries = 3
	// DefaultUserAgent keeps the "GLPI-Agent" prefix of the official agent:
	// GLPI only stores the User-Agent, but reverse proxies and SSO plugins
	// in front of GLPI commonly let agents through by that prefix.
	DefaultUserAgent = "GLPI-Agent (glpi-agentd)"
)

// maxAnswerBytes caps a decoded answer; GLPI answers are a few hundred bytes.
const maxAnswerBytes = 4 << 20

// maxRetryWait caps a server's Retry-After.
const maxRetryWait = 2 * time.Minute

// UserAgent returns the User-Agent for agent version v, keeping the
// "GLPI-Agent" prefix (see DefaultUserAgent).
func UserAgent(v string) string {
	return "GLPI-Agent (glpi-agentd/" + v + ")"
}

// Config configures a Client.
type Config struct {
	// URL is the GLPI server URL, to which every message is posted as it
	// is: the GLPI root (recommended, and needed to find the OAuth token
	// endpoint) or .../front/inventory.php. A bare host means http://host.
	URL string
	// AgentID is the agent's UUID, sent as GLPI-Agent-ID by Contact and
	// SendInventory. It may be empty for a client that only calls PostJSON.
	AgentID string
	// UserAgent defaults to DefaultUserAgent.
	UserAgent string
	// Compression is zlib (default), gzip, deflate or none.
	Compression string
	// Username and Password, when Username is set, are sent as Basic
	// credentials with every request: GLPI 11.0.x may omit the
	// WWW-Authenticate challenge.
	Username, Password string
	// OAuthClientID and OAuthClientSecret enable GLPI 11's OAuth client
	// credentials: a token with the "inventory" scope is fetched from
	// <GLPI root>/api.php/token, cached, and renewed before it expires.
	OAuthClientID, OAuthClientSecret string
	// Proxy is a proxy URL, or "none" for a direct connection. When empty,
	// HTTP_PROXY, HTTPS_PROXY and NO_PROXY apply.
	Proxy string
	// CAFile is a PEM bundle of the CAs to trust instead of the system's.
	CAFile string
	// CADir is a directory of PEM files of CAs, trusted with CAFile's
	// instead of the system's.
	CADir string
	// CertFile and KeyFile are the client certificate sent to a server
	// that asks for one (PEM; the key in CertFile when KeyFile is empty).
	CertFile, KeyFile string
	// PinSHA256 lists public-key pins in any form package tlspin accepts.
	// The server is accepted if its leaf's key is pinned (a self-signed
	// server), or if its chain verifies to a pinned CA.
	PinSHA256 []string
	// InsecureSkipVerify disables certificate verification (pins still apply).
	InsecureSkipVerify bool
	// Timeout bounds each HTTP attempt; it defaults to DefaultTimeout.
	Timeout time.Duration
	// Retries is how many times a request is retried on network errors and
	// on 429, 502, 503 and 504, honouring Retry-After. Zero means
	// DefaultRetries, a negative value no retry.
	Retries int
	// Logger receives debug records; nil discards them.
	Logger *slog.Logger
	// OnRetry, when set, is told of each retry of a request: the attempt
	// about to be made (1 for the first retry) and the most there will be.
	OnRetry func(attempt, max int)
}

// Client posts messages to one GLPI server. It is safe for concurrent use.
type Client struct {
	url       string // as posted to
	redacted  string // for messages
	tokenURL  string
	agentID   string
	userAgent string
	compress  string
	username  string
	password  string
	oauthID   string
	oauthKey  string
	hc        *retryablehttp.Client
	log       *slog.Logger
	now       func() time.Time

	mu          sync.Mutex // guards token, tokenExpiry
	token       string
	tokenExpiry time.Time
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	u, err := parseServerURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		url:       u.String(),
		redacted:  u.Redacted(),
		tokenURL:  tokenURL(u),
		agentID:   strings.ToLower(cfg.AgentID),
		userAgent: cfg.UserAgent,
		compress:  cfg.Compression,
		username:  cfg.Username,
		password:  cfg.Password,
		oauthID:   cfg.OAuthClientID,
		oauthKey:  cfg.OAuthClientSecret,
		log:       cfg.Logger,
		now:       time.Now,
	}
	if c.agentID != "" && !ValidAgentID(c.agentID) {
		return nil, fmt.Errorf("agent id %q: not a UUID", cfg.AgentID)
	}
	switch c.compress {
	case "", CompressionZlib, CompressionGzip, CompressionDeflate, CompressionNone:
	default:
		return nil, fmt.Errorf("compression %q: want zlib, gzip, deflate or none", c.compress)
	}
	if (c.oauthID == "") != (c.oauthKey == "") {
		return nil, errors.New("oauth: set both the client id and the client secret")
	}
	if c.username == "" && c.password != "" {
		return nil, errors.New("basic auth: password set without a user")
	}
	if c.username != "" && c.oauthID != "" {
		return nil, errors.New("set either basic auth (user, password) or OAuth (client id, secret), not both")
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	proxy, err := proxyFunc(cfg.Proxy)
	if err != nil {
		return nil, err
	}
	tc, err := tlsConfig(cfg, u.Hostname())
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = proxy
	tr.TLSClientConfig = tc
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	retries := cfg.Retries
	switch {
	case retries == 0:
		retries = DefaultRetries
	case retries < 0:
		retries = 0
	}
	c.hc = &retryablehttp.Client{
		HTTPClient: &http.Client{
			Transport:     tr,
			Timeout:       timeout,
			CheckRedirect: c.checkRedirect,
		},
		Logger:       retryLogger{c.log},
		RetryWaitMin: time.Second,
		RetryWaitMax: 30 * time.Second,
		RetryMax:     retries,
		CheckRetry:   checkRetry,
		Backoff:      backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	if cfg.OnRetry != nil {
		c.hc.RequestLogHook = func(_ retryablehttp.Logger, _ *http.Request, attempt int) {
			if attempt > 0 {
				cfg.OnRetry(attempt, retries)
			}
		}
	}
	return c, nil
}

// URL returns the server URL, without credentials.
func (c *Client) URL() string { return c.redacted }

// contactDefaults is a copy of m with its defaults: Action "contact", Name
// "GLPI-Agent", and task lists that encode as [] rather than null.
func contactDefaults(m *Contact) Contact {
	msg := *m
	if msg.Action == "" {
		msg.Action = "contact"
	}
	if msg.Name == "" {
		msg.Name = "GLPI-Agent"
	}
	if msg.InstalledTasks == nil {
		msg.InstalledTasks = []string{}
	}
	if msg.EnabledTasks == nil {
		msg.EnabledTasks = []string{}
	}
	return msg
}

// Contact sends a CONTACT message with the client's agent id. Action and
// Name default to "contact" and "GLPI-Agent".
func (c *Client) Contact(ctx context.Context, m *Contact) (*Answer, error) {
	msg := contactDefaults(m)
	a, err := c.send(ctx, &msg, msg.DeviceID)
	if err != nil {
		return nil, fmt.Errorf("contact %s: %w", c.redacted, err)
	}
	return a, nil
}

// SendInventory sends an inventory with the client's agent id. Action and
// ItemType default to ActionInventory and ItemTypeComputer.
func (c *Client) SendInventory(ctx context.Context, inv *Inventory) (*Answer, error) {
	msg := *inv
	if msg.Action == "" {
		msg.Action = ActionInventory
	}
	if msg.ItemType == "" {
		msg.ItemType = ItemTypeComputer
	}
	if msg.Content == nil {
		return nil, fmt.Errorf("send inventory to %s: no content", c.redacted)
	}
	body, err := msg.Encode()
	if err != nil {
		return nil, fmt.Errorf("send inventory to %s: %w", c.redacted, err)
	}
	a, err := c.sendBody(ctx, body, msg.DeviceID)
	if err != nil {
		return nil, fmt.Errorf("send inventory to %s: %w", c.redacted, err)
	}
	return a, nil
}

func (c *Client) send(ctx context.Context, msg any, deviceID string) (*Answer, error) {
	body, err := json.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("marshal message: %w", err)
	}
	return c.sendBody(ctx, body, deviceID)
}

// sendBody posts an encoded message of the device deviceID.
func (c *Client) sendBody(ctx context.Context, body []byte, deviceID string) (*Answer, error) {
	if c.agentID == "" {
		return nil, errors.New("no agent id configured")
	}
	if deviceID == "" {
		return nil, errors.New("no deviceid")
	}
	return c.post(ctx, c.agentID, body, netip.Addr{})
}

// PostJSON posts a ready JSON message on behalf of the agent agentID and
// returns the server's answer. A failure the server reports is an *Error.
func (c *Client) PostJSON(ctx context.Context, agentID string, body []byte) (*Answer, error) {
	return c.PostJSONFor(ctx, agentID, body, netip.Addr{})
}

// PostJSONFor is PostJSON for an agent at address from, which GLPI then
// records as where the agent connects from (it reads X-Forwarded-For
// first), as it does for an agent that posts itself.
func (c *Client) PostJSONFor(ctx context.Context, agentID string, body []byte, from netip.Addr) (*Answer, error) {
	id := strings.ToLower(agentID)
	if !ValidAgentID(id) {
		return nil, fmt.Errorf("post to %s: agent id %q: not a UUID", c.redacted, agentID)
	}
	a, err := c.post(ctx, id, body, from)
	if err != nil {
		return nil, fmt.Errorf("post to %s: %w", c.redacted, err)
	}
	return a, nil
}

// PostZlibFor is PostJSONFor for a message already compressed with zlib,
// as a relay keeps it: a client set to zlib (the default) sends it as it
// is, without inflating and compressing 100 KB of JSON again; another
// compression has it decoded and encoded as set.
func (c *Client) PostZlibFor(ctx context.Context, agentID string, zbody []byte, from netip.Addr) (*Answer, error) {
	if c.compress != "" && c.compress != CompressionZlib {
		body, err := Decode(ContentTypeZlib, bytes.NewReader(zbody), DefaultMaxBytes)
		if err != nil {
			return nil, fmt.Errorf("post to %s: %w", c.redacted, err)
		}
		return c.PostJSONFor(ctx, agentID, body, from)
	}
	id := strings.ToLower(agentID)
	if !ValidAgentID(id) {
		return nil, fmt.Errorf("post to %s: agent id %q: not a UUID", c.redacted, agentID)
	}
	a, err := c.postEncoded(ctx, id, zbody, ContentTypeZlib, from)
	if err != nil {
		return nil, fmt.Errorf("post to %s: %w", c.redacted, err)
	}
	return a, nil
}

// ContactFor sends a CONTACT on behalf of the agent agentID at address
// from (see PostJSONFor): GLPI records its httpd-port, the port its
// "Request inventory" button calls, from CONTACT only.
func (c *Client) ContactFor(ctx context.Context, agentID string, m *Contact, from netip.Addr) (*Answer, error) {
	id := strings.ToLower(agentID)
	if !ValidAgentID(id) {
		return nil, fmt.Errorf("contact %s: agent id %q: not a UUID", c.redacted, agentID)
	}
	msg := contactDefaults(m)
	body, err := json.Marshal(&msg)
	if err != nil {
		return nil, fmt.Errorf("marshal message: %w", err)
	}
	a, err := c.post(ctx, id, body, from)
	if err != nil {
		return nil, fmt.Errorf("contact %s: %w", c.redacted, err)
	}
	return a, nil
}

// post sends body in the client's compression; a valid from is sent as
// X-Forwarded-For.
func (c *Client) post(ctx context.Context, agentID string, body []byte, from netip.Addr) (*Answer, error) {
	encoded, contentType, err := Encode(body, c.compress)
	if err != nil {
		return nil, err
	}
	return c.postEncoded(ctx, agentID, encoded, contentType, from)
}

// postEncoded sends a body already encoded as contentType says.
func (c *Client) postEncoded(ctx context.Context, agentID string, encoded []byte, contentType string, from netip.Addr) (*Answer, error) {
	for attempt := 0; ; attempt++ {
		req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, c.url, encoded)
		if err != nil {
			return nil, fmt.Errorf("build request: %w", err)
		}
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("GLPI-Agent-ID", agentID)
		req.Header.Set("Pragma", "no-cache")
		req.Header.Set("User-Agent", c.userAgent)
		if from.IsValid() {
			req.Header.Set("X-Forwarded-For", from.Unmap().String())
		}
		sent, fresh := authNone, false
		switch {
		case c.username != "":
			req.SetBasicAuth(c.username, c.password)
			sent = authBasic
		case c.oauthID != "":
			var tok string
			if tok, fresh, err = c.bearer(ctx); err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			sent = authOAuth
		}
		start := c.now()
		resp, err := c.hc.Do(req)
		if err != nil {
			if e, ok := tlsError(err); ok {
				return nil, e
			}
			return nil, unwrapURL(err)
		}
		answer, err := Decode(resp.Header.Get("Content-Type"), resp.Body, maxAnswerBytes)
		resp.Body.Close()
		c.log.Debug("glpi request", "url", c.redacted, "agent_id", agentID, "status", resp.StatusCode,
			"sent_bytes", len(encoded), "received_bytes", len(answer), "duration", c.now().Sub(start))
		if err != nil {
			if resp.StatusCode >= 200 && resp.StatusCode < 300 {
				return nil, fmt.Errorf("read answer: %w", err)
			}
			answer = nil // the status alone tells what went wrong
		}
		if resp.StatusCode == http.StatusUnauthorized && sent == authOAuth && !fresh && attempt == 0 {
			// The cached token was revoked or the server's keys changed:
			// fetch a new one and try once more.
			c.dropToken()
			continue
		}
		return classify(resp.StatusCode, resp.Header, answer, sent)
	}
}

// ValidAgentID reports whether id is a UUID in lowercase canonical form,
// as GLPI-Agent-ID requires.
func ValidAgentID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i, r := range id {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
				return false
			}
		}
	}
	return true
}

// parseServerURL canonicalises the server URL as the official agent does:
// a bare host means http://host, and only http and https are accepted.
func parseServerURL(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("server url: empty")
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("server url: %w", err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("server url %q: scheme %q, want http or https", u.Redacted(), u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("server url %q: no host", u.Redacted())
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

// proxyFunc returns the transport's proxy setting for Config.Proxy.
func proxyFunc(p string) (func(*http.Request) (*url.URL, error), error) {
	switch p = strings.TrimSpace(p); p {
	case "":
		return http.ProxyFromEnvironment, nil
	case "none":
		return nil, nil
	}
	if !strings.Contains(p, "://") {
		p = "http://" + p
	}
	u, err := url.Parse(p)
	if err != nil {
		return nil, fmt.Errorf("proxy url: %w", err)
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("proxy url %q: scheme %q, want http, https or socks5", u.Redacted(), u.Scheme)
	}
	return http.ProxyURL(u), nil
}

// checkRedirect follows only redirects that keep the POST and its body (307,
// 308) and that neither carry a credential nor downgrade to http. A
// 301/302/303 would turn the POST into a GET; a client with Basic or OAuth
// credentials sends them with every request, token requests included, and
// a redirect would hand them to another host or port, or send them in
// clear. In those cases the answer is returned instead, and the error
// tells where the server points.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.Method != via[0].Method || c.username != "" || c.oauthID != "" {
		return http.ErrUseLastResponse
	}
	for _, v := range via {
		if v.URL.Scheme == "https" && req.URL.Scheme != "https" {
			return http.ErrUseLastResponse
		}
	}
	return nil
}

// checkRetry retries network errors except certificate failures, and
// the statuses that mean "try again later"; GLPI's 500 is a verdict on the
// message and is not retried.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		if _, ok := tlsError(err); ok {
			return false, nil
		}
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true, nil
	}
	return false, nil
}

// backoff is retryablehttp's exponential backoff, which honours
// Retry-After, with that header capped to maxRetryWait.
func backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	return min(retryablehttp.DefaultBackoff(minWait, maxWait, attempt, resp), maxRetryWait)
}

// retryLogger hands retryablehttp our logger with every record at Debug:
// the client returns the final error to its caller, which decides what to
// log.
type retryLogger struct{ l *slog.Logger }

func (r retryLogger) Error(msg string, kv ...any) { r.l.Debug(msg, kv...) }
func (r retryLogger) Warn(msg string, kv ...any)  { r.l.Debug(msg, kv...) }
func (r retryLogger) Info(msg string, kv ...any)  { r.l.Debug(msg, kv...) }
func (r retryLogger) Debug(msg string, kv ...any) { r.l.Debug(msg, kv...) }
