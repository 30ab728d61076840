package enroll

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll/tlspin"
	"github.com/glpi-agentd/glpi-agentd/glpi"
	"github.com/hashicorp/go-retryablehttp"
)

// ClientConfig configures a Client.
type ClientConfig struct {
	// URL is the base URL of glpi-enrolld, e.g. https://enroll.example.org.
	URL string
	// CAFile is a PEM bundle of CAs to trust instead of the system roots.
	CAFile string
	// CADir is a directory of PEM files of CAs, trusted with CAFile's
	// instead of the system roots.
	CADir string
	// CertFile and KeyFile are a client certificate, sent to a server (or
	// a reverse proxy in front of it) that asks for one.
	CertFile, KeyFile string
	// PinSHA256 is an optional public-key pin, or a list of them, in any
	// form package tlspin accepts: the server's own key (a self-signed
	// glpi-enrolld) or a private CA's that its chain verifies to, so that a
	// private CA needs no file on the device.
	PinSHA256 string
	// InsecureHTTP allows a plain http:// URL to a non-loopback host.
	InsecureHTTP bool
	// Timeout bounds each HTTP attempt; zero means 60 s.
	Timeout time.Duration
	// StreamIdle is how long a streamed check-in's answer may go without
	// a byte; zero means CheckInKeepAlive seconds plus Timeout.
	StreamIdle time.Duration
	// UserAgent is sent with every request; empty means "glpi-enroll-client".
	UserAgent string
	// Retries is the number of retries after a network error, a 5xx or a
	// 429; zero means 4, negative means none.
	Retries int
	// Logger receives retry messages; nil discards them.
	Logger *slog.Logger
	// HTTPDPort is the port of the agent's local listener, sent with
	// every inventory (HeaderHTTPDPort) for GLPI's "Request inventory";
	// zero sends none.
	HTTPDPort int
}

// Client talks to glpi-enrolld.
type Client struct {
	base       *url.URL
	http       *retryablehttp.Client
	long       *http.Client // check-ins: no retries, deadline per call
	timeout    time.Duration
	streamIdle time.Duration
	userAgent  string
	httpdPort  int
}

// NewClient checks cfg and returns a Client. It refuses to send secrets over
// plain HTTP to a non-loopback host unless cfg.InsecureHTTP is set.
func NewClient(cfg ClientConfig) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("parse server url %q: not an absolute URL", cfg.URL)
	}
	switch base.Scheme {
	case "https":
	case "http":
		if !cfg.InsecureHTTP && !isLoopback(base.Hostname()) {
			return nil, fmt.Errorf("refuse plain http to %s: secrets travel only over https", base.Host)
		}
	default:
		return nil, fmt.Errorf("parse server url %q: scheme must be https", cfg.URL)
	}
	tlsConf, err := tlsConfig(base.Hostname(), cfg)
	if err != nil {
		return nil, err
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsConf
	transport.Proxy = http.ProxyFromEnvironment

	rc := retryablehttp.NewClient()
	rc.HTTPClient = &http.Client{Transport: transport, Timeout: timeout, CheckRedirect: refuseRedirect}
	rc.RetryMax = 4
	if cfg.Retries != 0 {
		rc.RetryMax = max(cfg.Retries, 0)
	}
	rc.RetryWaitMin = 500 * time.Millisecond
	rc.RetryWaitMax = 30 * time.Second
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	rc.CheckRetry = checkRetry
	rc.Logger = nil
	if cfg.Logger != nil {
		rc.Logger = cfg.Logger
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = "glpi-enroll-client"
	}
	idle := cfg.StreamIdle
	if idle == 0 {
		idle = CheckInKeepAlive*time.Second + timeout
	}
	return &Client{base: base, http: rc, long: &http.Client{Transport: transport, CheckRedirect: refuseRedirect}, timeout: timeout, userAgent: ua,
		httpdPort: cfg.HTTPDPort, streamIdle: idle}, nil
}

// checkRetry is retryablehttp's policy, less the failures a retry cannot
// mend: a server that does not speak TLS, or whose certificate is refused.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if notTLS(err) {
		return false, err
	}
	if _, cert := errors.AsType[*tls.CertificateVerificationError](err); cert || errors.Is(err, tlspin.ErrNoMatch) {
		return false, err
	}
	return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
}

// notTLS reports a server that answered TLS with something else. net/http
// turns the TLS record error of an HTTP answer into an error of its own,
// known only by its text.
func notTLS(err error) bool {
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return true
	}
	return err != nil && strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

// Enroll exchanges a registration key and the device description for a
// device identity and its first credential.
func (c *Client) Enroll(ctx context.Context, key string, req *EnrollRequest) (*EnrollResponse, error) {
	if _, err := ParseKey(key); err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode enroll request: %w", err)
	}
	var resp EnrollResponse
	if err := c.post(ctx, PathEnroll, key, "application/json", body, http.StatusCreated, &resp); err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	return &resp, nil
}

// Refresh exchanges the current refresh secret for a new credential. The
// returned credential replaces the old one, whose refresh secret is then spent.
func (c *Client) Refresh(ctx context.Context, req *RefreshRequest) (*Credential, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode refresh request: %w", err)
	}
	var cred Credential
	if err := c.post(ctx, PathToken, "", "application/json", body, http.StatusOK, &cred); err != nil {
		return nil, fmt.Errorf("refresh credential: %w", err)
	}
	return &cred, nil
}

// SendInventory sends a GLPI inventory message, compressed with zlib. Its
// retries carry one idempotency key, so a retried inventory counts once.
func (c *Client) SendInventory(ctx context.Context, accessToken string, body []byte) (*InventoryResponse, error) {
	return c.SendInventoryOnce(ctx, accessToken, body, NewToken(""))
}

// SendInventoryOnce is SendInventory with the caller's idempotency key, for
// an inventory that may be sent again later (from a spool, after a restart).
func (c *Client) SendInventoryOnce(ctx context.Context, accessToken string, body []byte, key string) (*InventoryResponse, error) {
	compressed, contentType, err := glpi.Encode(body, glpi.CompressionZlib)
	if err != nil {
		return nil, fmt.Errorf("compress inventory: %w", err)
	}
	var resp InventoryResponse
	extra := []string{HeaderIdempotencyKey, key}
	if c.httpdPort > 0 {
		extra = append(extra, HeaderHTTPDPort, strconv.Itoa(c.httpdPort))
	}
	if err := c.post(ctx, PathInventory, accessToken, contentType, compressed, http.StatusAccepted, &resp,
		extra...); err != nil {
		return nil, fmt.Errorf("send inventory: %w", err)
	}
	return &resp, nil
}

// CheckIn reports action results and asks for pending actions. The
// server holds the request up to req.Wait seconds (at most MaxCheckInWait,
// or MaxStreamedCheckInWait when req.Stream) unless an action is queued.
// It is never retried, so that long polls do not stack; the call may last
// the wait plus the client timeout. A streamed answer that goes longer
// than the stream's idle time without a byte (something on the way holds
// it back) ends the call with ErrCheckInStalled.
func (c *Client) CheckIn(ctx context.Context, accessToken string, req *CheckInRequest) (*CheckInResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode check-in: %w", err)
	}
	longest := MaxCheckInWait
	if req.Stream {
		longest = MaxStreamedCheckInWait
	}
	wait := time.Duration(min(max(req.Wait, 0), longest)) * time.Second
	ctx, cancel := context.WithTimeout(ctx, wait+c.timeout)
	defer cancel()
	var stalled atomic.Bool
	var watchdog *time.Timer
	if req.Stream {
		// Until the head comes: a server that does not stream holds the
		// request as a plain check-in.
		watchdog = time.AfterFunc(min(wait, MaxCheckInWait*time.Second)+c.timeout, func() { stalled.Store(true); cancel() })
		defer watchdog.Stop()
	}
	fail := func(err error) error {
		if stalled.Load() {
			return fmt.Errorf("check in: %w", ErrCheckInStalled)
		}
		return fmt.Errorf("check in: %w", err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.JoinPath(PathCheckIn).String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("check in: build request: %w", err)
	}
	c.setHeaders(hr.Header, accessToken, "application/json")
	resp, err := c.long.Do(hr)
	if err != nil {
		return nil, fail(err)
	}
	if watchdog != nil {
		watchdog.Reset(c.streamIdle)
		resp.Body = &liveBody{ReadCloser: resp.Body, watchdog: watchdog, idle: c.streamIdle}
	}
	var out CheckInResponse
	if err := decodeAnswer(resp, http.StatusOK, &out); err != nil {
		return nil, fail(err)
	}
	return &out, nil
}

// ErrCheckInStalled is a streamed check-in whose answer stopped coming:
// a proxy on the way holds streamed answers back, or the connection was
// cut without a word. The agent then checks in without streaming.
var ErrCheckInStalled = errors.New("the streamed answer stopped coming (a proxy that buffers answers, or a connection cut on the way)")

// liveBody is a streamed answer's body: each byte read puts off its
// watchdog by idle.
type liveBody struct {
	io.ReadCloser
	watchdog *time.Timer
	idle     time.Duration
}

func (b *liveBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.watchdog.Reset(b.idle)
	}
	return n, err
}

// Retire asks the service to retire this device: its identity is being
// wiped to make an image.
func (c *Client) Retire(ctx context.Context, accessToken string) error {
	if err := c.post(ctx, PathRetire, accessToken, "application/json", []byte("{}"), http.StatusNoContent, nil); err != nil {
		return fmt.Errorf("retire: %w", err)
	}
	return nil
}

func (c *Client) setHeaders(h http.Header, bearer, contentType string) {
	h.Set("Content-Type", contentType)
	h.Set("Accept", "application/json")
	h.Set("User-Agent", c.userAgent)
	if bearer != "" {
		h.Set("Authorization", "Bearer "+bearer)
	}
}

// post sends body to path and decodes a want-status answer into out, or
// turns any other answer into a *RejectError.
func (c *Client) post(ctx context.Context, path, bearer, contentType string, body []byte, want int, out any, extra ...string) error {
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, c.base.JoinPath(path).String(), body)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	c.setHeaders(req.Header, bearer, contentType)
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	resp, err := c.http.Do(req)
	if notTLS(err) {
		return fmt.Errorf("%s does not speak TLS (a plain http:// server?): %w", c.base.Host, err)
	}
	if err != nil {
		return err
	}
	return decodeAnswer(resp, want, out)
}

// decodeAnswer decodes a want-status answer into out, or turns any other
// answer into a *RejectError. It closes the body.
func decodeAnswer(resp *http.Response, want int, out any) error {
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode != want {
		return rejectFrom(resp, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}

func rejectFrom(resp *http.Response, data []byte) *RejectError {
	e := &RejectError{Status: resp.StatusCode}
	var body ErrorBody
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		e.Message = fmt.Sprintf("redirect to %q not followed: requests carry credentials; set the server URL to the address that answers",
			resp.Header.Get("Location"))
	} else if json.Unmarshal(data, &body) == nil && body.Reason != "" {
		e.Reason, e.Message = body.Reason, body.Message
	} else {
		e.Message = strings.TrimSpace(string(data[:min(len(data), 200)]))
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	return e
}

// refuseRedirect never follows a redirect: every request of the client
// carries a credential (a registration key, a refresh secret or an access
// token) in its header or body, which a redirect would hand to another host
// or port, or send in clear after a downgrade to http. The 3xx answer is
// returned, and reported as a *RejectError.
func refuseRedirect(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}

// tlsConfig returns cfg's TLS settings, with the agent's one trust policy
// (package tlspin).
func tlsConfig(host string, cfg ClientConfig) (*tls.Config, error) {
	var pins []string
	if cfg.PinSHA256 != "" {
		pins = []string{cfg.PinSHA256}
	}
	return tlspin.ClientConfig(tlspin.Config{Host: host, CAFile: cfg.CAFile, CADir: cfg.CADir, Pins: pins, CertFile: cfg.CertFile, KeyFile: cfg.KeyFile})
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
