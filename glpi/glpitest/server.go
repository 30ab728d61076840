// Package glpitest provides a stand-in GLPI server for tests. It speaks the
// native inventory protocol the way a stock GLPI 10 or 11 does, errors
// included: it checks Basic or OAuth credentials before anything else,
// decodes bodies by Content-Type, answers CONTACT, validates every inventory
// against the official schema, and answers in the request's encoding. It
// records what it receives so tests can assert on it.
//
// The legacy XML protocol is not implemented: an XML body gets GLPI's
// "XML not well formed!" error.
package glpitest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/glpi"
	"github.com/glpi-agentd/glpi-agentd/glpi/schematest"
)

// Messages GLPI sends, word for word.
const (
	MsgAuthRequired     = "Authorization header required to send an inventory"
	MsgBasicDenied      = "Access denied. Wrong login or password for basic authentication."
	MsgScopeDenied      = `Access denied. Agent must authenticate using client credentials and have the "inventory" OAuth scope`
	MsgNotWellFormed    = "JSON not well formed!"
	MsgXMLNotWellFormed = "XML not well formed!"
	MsgDoesNotValidate  = "JSON does not validate. Violations: "
	MsgDisabled         = "Inventory is disabled"
)

// errorExpiration is the constant expiration of GLPI's error answers.
const errorExpiration = 24

// rootKeys are the root keys the inventory schema allows.
var rootKeys = []string{"action", "content", "deviceid", "itemtype", "jobid", "partial", "tag"}

// Received is one message the server accepted.
type Received struct {
	AgentID     string // GLPI-Agent-ID header
	UserAgent   string
	ContentType string
	Action      string
	DeviceID    string
	ItemType    string
	Tag         string
	Partial     bool
	JSON        []byte // the decoded message
	Header      http.Header
	// RemoteAddr is the client's address and port, as the socket gives it.
	RemoteAddr string
}

// Agent is the server's record of one agent, as GLPI's agents table keeps
// it: one row per deviceid, updated by every message.
type Agent struct {
	AgentID string
	Tag     string
	Port    int // httpd-port of the last CONTACT
	// RemoteAddr is where the agent connects from, as GLPI's
	// Agent::handleAgent takes it from every message: the first address of
	// X-Forwarded-For, else X-Real-IP, else the socket's address.
	RemoteAddr  string
	UserAgent   string
	Contacts    int
	Inventories int
}

// Server is a stand-in GLPI server on an httptest server.
type Server struct {
	// URL is the GLPI root URL.
	URL string

	version      string
	basicUser    string
	basicPass    string
	oauthID      string
	oauthSecret  string
	tokenLife    int
	disabled     int
	expiration   any
	failuresLeft int
	failStatus   int
	noCategory   string
	clientCAs    *x509.CertPool
	customAssets []string
	schema       *schematest.Schema

	// Certificate is the server's certificate when it serves TLS
	// (WithClientCertificates), nil otherwise.
	Certificate *x509.Certificate

	mu            sync.Mutex
	changed       chan struct{} // closed and replaced when a message is recorded
	requests      int
	tokenRequests int
	tokens        map[string]token
	inventories   []Received
	contacts      []Received
	agents        map[string]Agent
	computers     map[string]map[string]json.RawMessage // by deviceid, then section
}

type token struct {
	expiry    time.Time
	inventory bool // has the inventory scope
}

// Option configures a Server.
type Option func(*Server)

// WithBasicAuth requires Basic credentials, as GLPI's "Authorization
// header: Basic" setting does.
func WithBasicAuth(user, pass string) Option {
	return func(s *Server) { s.basicUser, s.basicPass = user, pass }
}

// WithOAuth requires a bearer token from GLPI 11's client credentials
// flow, served at /api.php/token, for one OAuth client.
func WithOAuth(clientID, secret string) Option {
	return func(s *Server) { s.oauthID, s.oauthSecret = clientID, secret }
}

// WithTokenLifetime sets the expires_in of issued tokens (default 3600 s).
func WithTokenLifetime(seconds int) Option {
	return func(s *Server) { s.tokenLife = seconds }
}

// WithInventoryDisabled switches inventory off as GLPI major version 10
// (a plain-text answer) or 11 (a 403 page) does.
func WithInventoryDisabled(major int) Option {
	return func(s *Server) { s.disabled = major }
}

// WithExpiration sets the expiration of successful answers (default 24).
func WithExpiration(v any) Option {
	return func(s *Server) { s.expiration = v }
}

// WithVersion sets the GLPI version announced in CONTACT answers (default
// 11.0.1).
func WithVersion(v string) Option {
	return func(s *Server) { s.version = v }
}

// WithNoCategory makes CONTACT answers carry the inventory task's
// no-category, a comma-separated list of categories not to collect.
func WithNoCategory(list string) Option {
	return func(s *Server) { s.noCategory = list }
}

// WithFailures makes the first n requests fail with status, as a reverse
// proxy would; 429 and 503 carry "Retry-After: 0".
func WithFailures(n, status int) Option {
	return func(s *Server) { s.failuresLeft, s.failStatus = n, status }
}

// WithClientCertificates serves TLS, on a certificate for 127.0.0.1 (see
// Certificate), to clients presenting a certificate that one of cas
// signed, as a reverse proxy that admits only a fleet's machines does.
func WithClientCertificates(cas ...*x509.Certificate) Option {
	return func(s *Server) {
		s.clientCAs = x509.NewCertPool()
		for _, ca := range cas {
			s.clientCAs.AddCert(ca)
		}
	}
}

// WithCustomAssets defines GLPI 11 custom asset types (their class names,
// Glpi\CustomAsset\<Name>), which GLPI adds to the schema's itemtypes.
func WithCustomAssets(itemtypes ...string) Option {
	return func(s *Server) { s.customAssets = itemtypes }
}

// New starts a stand-in GLPI server, closed when the test ends. It skips
// the test when the inventory schema is not available.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		version:    "11.0.1",
		tokenLife:  3600,
		expiration: 24,
		schema:     schematest.Get(t),
		changed:    make(chan struct{}),
		tokens:     map[string]token{},
		agents:     map[string]Agent{},
		computers:  map[string]map[string]json.RawMessage{},
	}
	for _, o := range opts {
		o(s)
	}
	hs := httptest.NewUnstartedServer(s)
	if s.clientCAs != nil {
		hs.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: s.clientCAs}
		hs.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes it refuses
		hs.StartTLS()
		s.Certificate = hs.Certificate()
	} else {
		hs.Start()
	}
	t.Cleanup(hs.Close)
	s.URL = hs.URL + "/"
	return s
}

// ServeHTTP implements the GLPI endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	fail := s.failuresLeft > 0
	if fail {
		s.failuresLeft--
	}
	s.mu.Unlock()
	if fail {
		if s.failStatus == http.StatusTooManyRequests || s.failStatus == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "0")
		}
		http.Error(w, http.StatusText(s.failStatus), s.failStatus)
		return
	}
	switch r.URL.Path {
	case "/api.php/token":
		if s.oauthID != "" {
			s.serveToken(w, r)
			return
		}
	case "/", "/front/inventory.php", "/Inventory":
		s.serveInventory(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprint(w, "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>")
}

// loginPage is what GLPI's root shows to a request that is not an agent's.
const loginPage = `<!DOCTYPE html><html lang="en"><head><title>Authentication - GLPI</title></head>` +
	`<body><form action="/front/login.php" method="post"></form></body></html>`

func (s *Server) serveInventory(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/":
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		fmt.Fprint(w, loginPage)
		return
	case r.Method == http.MethodGet && r.URL.Query().Get("action") == "":
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	case r.Method == http.MethodGet:
		writeError(w, "", r.Header, http.StatusBadRequest, "Protocol not supported")
		return
	case r.Method != http.MethodPost:
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if !s.authorized(w, r) {
		return
	}
	if s.disabled != 0 {
		s.writeDisabled(w)
		return
	}
	ct := r.Header.Get("Content-Type")
	body, err := glpi.Decode(ct, r.Body, glpi.DefaultMaxBytes)
	switch {
	case errors.Is(err, glpi.ErrUnsupportedEncoding):
		msg := "Unsupported compression"
		if strings.HasPrefix(s.version, "10.") {
			msg = "Brotli PHP extension is missing!"
		}
		writeError(w, "", r.Header, http.StatusUnsupportedMediaType, msg)
		return
	case errors.Is(err, glpi.ErrTooLarge):
		writeError(w, ct, r.Header, http.StatusRequestEntityTooLarge, "Request too large")
		return
	case err != nil:
		writeError(w, ct, r.Header, http.StatusBadRequest, MsgNotWellFormed)
		return
	}
	if len(bytes.TrimSpace(body)) == 0 && r.URL.Path == "/" {
		// GLPI's root routes only non-empty POSTs to the inventory.
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		fmt.Fprint(w, loginPage)
		return
	}
	if !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		writeError(w, ct, r.Header, http.StatusBadRequest, MsgXMLNotWellFormed)
		return
	}
	var msg map[string]json.RawMessage
	if err := json.Unmarshal(body, &msg); err != nil {
		writeError(w, ct, r.Header, http.StatusBadRequest, MsgNotWellFormed)
		return
	}
	action := stringField(msg, "action")
	if action == "" {
		action = stringField(msg, "query")
	}
	action = strings.ToLower(action)
	if action == "" {
		action = "inventory"
	}
	if r.Header.Get("GLPI-Agent-ID") == "" {
		// Without the header GLPI answers in its legacy XML dialect.
		writeAnswer(w, ct, r.Header, http.StatusOK, "application/xml",
			[]byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<REPLY><RESPONSE>SEND</RESPONSE></REPLY>"))
		return
	}
	rec := Received{
		AgentID:     r.Header.Get("GLPI-Agent-ID"),
		UserAgent:   r.UserAgent(),
		ContentType: ct,
		Action:      action,
		DeviceID:    stringField(msg, "deviceid"),
		ItemType:    stringField(msg, "itemtype"),
		Tag:         stringField(msg, "tag"),
		JSON:        body,
		Header:      r.Header.Clone(),
		RemoteAddr:  r.RemoteAddr,
	}
	_ = json.Unmarshal(msg["partial"], &rec.Partial)
	switch action {
	case "prolog":
		s.writeOK(w, ct, r.Header, map[string]any{"status": glpi.StatusOK, "expiration": s.expiration})
	case "contact":
		s.contact(w, ct, r.Header, rec)
	case "inventory":
		s.inventory(w, ct, r.Header, msg, rec)
	default:
		writeError(w, ct, r.Header, http.StatusNotImplemented, fmt.Sprintf("Query '%s' is not supported.", action))
	}
}

func (s *Server) contact(w http.ResponseWriter, ct string, h http.Header, rec Received) {
	var c glpi.Contact
	if err := json.Unmarshal(rec.JSON, &c); err != nil {
		writeError(w, ct, h, http.StatusBadRequest, MsgNotWellFormed)
		return
	}
	if c.DeviceID == "" {
		writeError(w, ct, h, http.StatusBadRequest, "Device ID is missing")
		return
	}
	s.record(rec, func(a *Agent) {
		a.Contacts++
		a.Tag = c.Tag
		a.Port = c.HTTPDPort
	}, &s.contacts)
	answer := map[string]any{"status": glpi.StatusOK, "expiration": s.expiration}
	var unsupported []string
	for _, task := range c.EnabledTasks {
		if task == "inventory" {
			answer["tasks"] = map[string]glpi.Task{"inventory": {Server: "glpi", Version: s.version, NoCategory: s.noCategory}}
			continue
		}
		unsupported = append(unsupported, task)
	}
	if len(unsupported) > 0 {
		msgs := make([]string, len(unsupported))
		for i, task := range unsupported {
			msgs[i] = task + " task not supported"
		}
		answer["message"] = strings.Join(msgs, ";")
		answer["disabled"] = unsupported
	}
	s.writeOK(w, ct, h, answer)
}

func (s *Server) inventory(w http.ResponseWriter, ct string, h http.Header, msg map[string]json.RawMessage, rec Received) {
	var unknown []string
	for k := range msg {
		if !slices.Contains(rootKeys, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		writeError(w, ct, h, http.StatusInternalServerError,
			MsgDoesNotValidate+"additional properties not allowed at root: "+strings.Join(unknown, ", "))
		return
	}
	doc := rec.JSON
	var head struct{ ItemType string }
	if json.Unmarshal(doc, &head) == nil && slices.Contains(s.customAssets, head.ItemType) {
		// GLPI extends the schema's itemtype pattern with the custom asset
		// types defined; the rest of the message is checked as it is.
		var m map[string]json.RawMessage
		json.Unmarshal(doc, &m)
		m["itemtype"] = json.RawMessage(`"Computer"`)
		doc, _ = json.Marshal(m)
	}
	if err := s.schema.Validate(doc); err != nil {
		writeError(w, ct, h, http.StatusInternalServerError, MsgDoesNotValidate+strings.Join(strings.Fields(err.Error()), " "))
		return
	}
	var inv struct {
		Content map[string]json.RawMessage `json:"content"`
	}
	_ = json.Unmarshal(rec.JSON, &inv) // validated above
	s.record(rec, func(a *Agent) {
		a.Inventories++
		a.Tag = rec.Tag
		s.importComputer(rec.DeviceID, inv.Content, rec.Partial)
	}, &s.inventories)
	s.writeOK(w, ct, h, map[string]any{"status": glpi.StatusOK, "expiration": s.expiration})
}

// importComputer updates the computer's record as GLPI's import does: a
// full inventory replaces every section, so that a section it lacks is
// deleted (GLPI forgets the network ports, the software…); a partial one
// replaces only the sections it carries. Called with s.mu held.
func (s *Server) importComputer(deviceID string, content map[string]json.RawMessage, partial bool) {
	c := s.computers[deviceID]
	if c == nil || !partial {
		c = map[string]json.RawMessage{}
	}
	for k, v := range content {
		if k == "versionclient" || k == "versionprovider" {
			continue // the agent's, not the computer's
		}
		c[k] = v
	}
	s.computers[deviceID] = c
}

// Computer returns what GLPI holds of the computer that deviceid
// inventories, section by section; nil when it has none.
func (s *Server) Computer(deviceID string) map[string]json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.computers[deviceID])
}

// record stores rec and updates its agent's row.
func (s *Server) record(rec Received, update func(*Agent), list *[]Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.agents[rec.DeviceID]
	a.AgentID = rec.AgentID
	a.UserAgent = rec.UserAgent
	a.RemoteAddr = remoteAddr(rec)
	update(&a)
	s.agents[rec.DeviceID] = a
	*list = append(*list, rec)
	close(s.changed)
	s.changed = make(chan struct{})
}

// remoteAddr is the agent's address as GLPI records it: the first hop of
// X-Forwarded-For (GLPI splits on ", "), else X-Real-IP, else the socket's
// address; "" when that is no address.
func remoteAddr(rec Received) string {
	ip := rec.Header.Get("X-Forwarded-For")
	switch {
	case ip != "":
		ip, _, _ = strings.Cut(ip, ", ")
	case rec.Header.Get("X-Real-IP") != "":
		ip = rec.Header.Get("X-Real-IP")
	default:
		ap, err := netip.ParseAddrPort(rec.RemoteAddr)
		if err != nil {
			return ""
		}
		ip = ap.Addr().Unmap().String()
	}
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return ""
	}
	return a.String()
}

// authorized checks credentials the way GLPI does, before reading the body.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	authz := r.Header.Get("Authorization")
	switch {
	case s.basicUser != "":
		user, pass, ok := r.BasicAuth()
		switch {
		case authz == "":
			w.Header().Set("WWW-Authenticate", `Basic realm="basic"`)
			writeError(w, "", r.Header, http.StatusUnauthorized, MsgAuthRequired)
			return false
		case !ok || user != s.basicUser || pass != s.basicPass:
			w.Header().Set("WWW-Authenticate", `Basic realm="basic"`)
			writeError(w, "", r.Header, http.StatusUnauthorized, MsgBasicDenied)
			return false
		}
	case s.oauthID != "":
		bearer, ok := strings.CutPrefix(authz, "Bearer ")
		s.mu.Lock()
		tok, known := s.tokens[bearer]
		s.mu.Unlock()
		switch {
		case !ok || !known || time.Now().After(tok.expiry):
			writeError(w, "", r.Header, http.StatusUnauthorized, MsgAuthRequired)
			return false
		case !tok.inventory:
			writeError(w, "", r.Header, http.StatusUnauthorized, MsgScopeDenied)
			return false
		}
	}
	return true
}

func (s *Server) writeDisabled(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	if s.disabled == 10 {
		fmt.Fprint(w, MsgDisabled)
		return
	}
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprintf(w, "<!DOCTYPE html><html><head><title>Access denied</title></head><body><p>%s</p></body></html>", MsgDisabled)
}

// serveToken is GLPI 11's OAuth token endpoint, for client credentials.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.tokenRequests++
	s.mu.Unlock()
	var req struct {
		GrantType    string `json:"grant_type"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Scope        string `json:"scope"`
	}
	oauthError := func(status int, code, desc string) {
		w.Header().Set("Content-Type", glpi.ContentTypeJSON)
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc, "message": desc})
	}
	if r.Method != http.MethodPost {
		oauthError(http.StatusMethodNotAllowed, "invalid_request", "The request method must be POST")
		return
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		oauthError(http.StatusBadRequest, "invalid_request", "The request is missing a required parameter")
		return
	}
	switch {
	case req.GrantType != "client_credentials":
		oauthError(http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
		return
	case req.ClientID != s.oauthID || req.ClientSecret != s.oauthSecret:
		oauthError(http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return
	}
	b := make([]byte, 32)
	rand.Read(b)
	tok := hex.EncodeToString(b)
	s.mu.Lock()
	s.tokens[tok] = token{
		expiry:    time.Now().Add(time.Duration(s.tokenLife) * time.Second),
		inventory: slices.Contains(strings.Fields(req.Scope), "inventory"),
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", glpi.ContentTypeJSON)
	json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": s.tokenLife, "access_token": tok})
}

// RevokeTokens forgets every issued token, as a GLPI whose OAuth keys
// changed would.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// writeOK writes a successful JSON answer.
func (s *Server) writeOK(w http.ResponseWriter, ct string, h http.Header, v any) {
	b, _ := json.Marshal(v)
	writeAnswer(w, ct, h, http.StatusOK, glpi.ContentTypeJSON, b)
}

// writeError writes GLPI's JSON error. An empty request content type means
// an error raised before the body was decoded, sent uncompressed.
func writeError(w http.ResponseWriter, ct string, h http.Header, status int, msg string) {
	if len(msg) > 250 {
		msg = msg[:250]
	}
	b, _ := json.Marshal(map[string]any{"status": glpi.StatusError, "message": msg, "expiration": errorExpiration})
	writeAnswer(w, ct, h, status, glpi.ContentTypeJSON, b)
}

// writeAnswer encodes body the way the request was and sets GLPI's
// protocol headers. plain is the body's type when it is not compressed.
func writeAnswer(w http.ResponseWriter, ct string, h http.Header, status int, plain string, body []byte) {
	compression, err := glpi.CompressionOf(ct)
	if err != nil {
		compression = glpi.CompressionNone
	}
	encoded, contentType, err := glpi.Encode(body, compression)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if compression == glpi.CompressionNone {
		contentType = plain
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-cache,no-store")
	w.Header().Set("Pragma", "no-cache")
	if id := h.Get("GLPI-Agent-ID"); id != "" {
		w.Header().Set("GLPI-Agent-ID", id)
	}
	w.WriteHeader(status)
	w.Write(encoded)
}

func stringField(msg map[string]json.RawMessage, key string) string {
	var s string
	_ = json.Unmarshal(msg[key], &s)
	return s
}

// Inventories returns the inventories accepted so far.
func (s *Server) Inventories() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.inventories)
}

// Contacts returns the CONTACT messages received so far.
func (s *Server) Contacts() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.contacts)
}

// Agents returns the agents table, keyed by deviceid.
func (s *Server) Agents() map[string]Agent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.agents)
}

// Requests returns how many HTTP requests the server received, failed
// ones and token requests included.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// TokenRequests returns how many OAuth token requests the server received.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenRequests
}

// WaitInventories waits until n inventories have been accepted and returns
// them; it fails the test after timeout.
func (s *Server) WaitInventories(t testing.TB, n int, timeout time.Duration) []Received {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, changed := len(s.inventories), s.changed
		if got >= n {
			defer s.mu.Unlock()
			return slices.Clone(s.inventories)
		}
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("WaitInventories(%d): got %d inventories after %v", n, got, timeout)
			return nil
		}
	}
}

// DefaultAgentPort is the port GLPI calls an agent on when the agent
// never told it one (httpd-port).
const DefaultAgentPort = 62354

// AgentURL returns the base URL GLPI's agent page calls for the agent of
// deviceID at host: http://host:PORT, PORT the httpd-port its last
// CONTACT gave, else DefaultAgentPort.
func (s *Server) AgentURL(deviceID, host string) string {
	s.mu.Lock()
	port := s.agents[deviceID].Port
	s.mu.Unlock()
	if port == 0 {
		port = DefaultAgentPort
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(port))
}

// RequestInventory does what GLPI's "Request inventory" button does: GET
// base/now, connecting through dial (nil: a plain dial), and returns what
// GLPI's page then shows: "Requested" on success, "Not allowed" for a 4xx
// answer, "Unknown" when the agent cannot be reached or answers otherwise.
// The error says why when it is not "Requested".
func RequestInventory(ctx context.Context, base string, dial func(ctx context.Context, network, addr string) (net.Conn, error)) (string, error) {
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	hc := &http.Client{
		Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true},
		Timeout:   5 * time.Second, // GLPI's connect timeout
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+"/now", nil)
	if err != nil {
		return "Unknown", err
	}
	req.Header.Set("User-Agent", "GuzzleHttp/7")
	resp, err := hc.Do(req)
	if err != nil {
		return "Unknown", err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return "Requested", nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return "Not allowed", fmt.Errorf("GET %s/now: %s", base, resp.Status)
	}
	return "Unknown", fmt.Errorf("GET %s/now: %s", base, resp.Status)
}
