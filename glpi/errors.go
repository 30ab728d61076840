package glpi

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/glpi-agentd/glpi-agentd/enroll/tlspin"
)

var (
	// ErrUnauthorized reports a request the server refused for lack of
	// valid credentials.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrInventoryDisabled reports a server whose inventory is switched off
	// (the default since GLPI 10.0.4).
	ErrInventoryDisabled = errors.New("inventory is disabled")
	// ErrNotGLPI reports an answer that does not come from a GLPI inventory
	// endpoint, typically a login page or a 404 behind a wrong URL.
	ErrNotGLPI = errors.New("not a GLPI inventory endpoint")
	// ErrTLS reports a server certificate that could not be verified.
	ErrTLS = errors.New("server certificate not trusted")
	// ErrClientCert reports a server, or the reverse proxy in front of
	// it, that wants a client certificate and got none it accepts.
	ErrClientCert = errors.New("client certificate missing or refused")
)

// Error is a failure reported by, or about, the GLPI server. Its message is
// one line saying what went wrong and what to change.
type Error struct {
	// StatusCode is the HTTP status, 0 when no answer was received.
	StatusCode int
	// Message is what the server said: its JSON "message", or an excerpt
	// of a non-JSON body.
	Message string
	// Hint says what to do about it, when something can be done.
	Hint string
	// Answer is the server's JSON answer, when it sent one; a status
	// "error" answer still carries an expiration to honour.
	Answer *Answer
	// Err is the sentinel or cause this error wraps, if any.
	Err error
}

// Error returns the hint when there is one, with the server's words in
// parentheses, or else the server's words.
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Answer != nil && e.Answer.Status == StatusError && e.StatusCode < 300:
		b.WriteString("server answered status error: ")
	case e.StatusCode != 0 && e.StatusCode != http.StatusOK:
		fmt.Fprintf(&b, "HTTP %d: ", e.StatusCode)
	}
	switch {
	case e.Hint != "" && e.Message != "":
		fmt.Fprintf(&b, "%s (server said: %s)", e.Hint, e.Message)
	case e.Hint != "":
		b.WriteString(e.Hint)
	case e.Message != "":
		b.WriteString(e.Message)
	default:
		b.WriteString(http.StatusText(e.StatusCode))
	}
	return b.String()
}

// Unwrap returns the wrapped sentinel or cause.
func (e *Error) Unwrap() error { return e.Err }

// Hints, worded after the configuration keys of the agent.
const (
	hintDisabled      = "inventory is disabled on the GLPI server: enable it in Administration > Inventory"
	hintNotGLPI       = "the server URL does not look like a GLPI inventory endpoint; use the GLPI root URL or .../front/inventory.php"
	hintTLS           = "set ca_cert_file to the CA that signed the server certificate, or pin its public key with ssl_fingerprint"
	hintClientCert    = "the server wants a client certificate it trusts: set ssl_cert_file (and ssl_key_file) to a certificate its CA signed"
	hintBrotli        = "send zlib (the default) or plain JSON (no_compression = true)"
	hintProxyAuth     = "the proxy requires authentication: put its credentials in the proxy URL"
	hintAuthNone      = "the server requires authentication: set user and password (basic), or oauth_client_id and oauth_client_secret (GLPI 11)"
	hintAuthNoneBasic = "the server requires basic authentication: set user and password"
	hintAuthBasic     = "the server refused the user and password: check them against Administration > Inventory > Authorization header"
	hintAuthOAuth     = "the server refused the OAuth token: check oauth_client_id and oauth_client_secret, and that the OAuth client has the client_credentials grant and the inventory scope"
	hintNotSupported  = "this GLPI server does not support this request"
)

// disabledText is what GLPI 10 answers, as plain text, and GLPI 11 puts in
// its 403, when inventory is switched off.
const disabledText = "Inventory is disabled"

// auth tells classify which credentials were sent.
type auth int

const (
	authNone auth = iota
	authBasic
	authOAuth
)

// classify turns an answer into an Answer or an *Error. body is already
// decoded.
func classify(code int, header http.Header, body []byte, sent auth) (*Answer, error) {
	a, _ := ParseAnswer(body)
	if a != nil && code >= 200 && code < 300 {
		if a.Status == StatusError {
			return nil, &Error{StatusCode: code, Message: oneLine(a.Message), Answer: a}
		}
		return a, nil
	}
	e := &Error{StatusCode: code, Answer: a}
	if a != nil {
		e.Message = oneLine(a.Message)
	} else {
		e.Message = excerpt(body)
	}
	html := a == nil && looksHTML(body)
	if a == nil && !html && bytes.HasPrefix(bytes.TrimSpace(body), []byte("<")) {
		e.Message = "got an XML answer, as GLPI before 10 and the FusionInventory plugin send"
	}
	switch {
	case bytes.Contains(body, []byte(disabledText)) || code == http.StatusForbidden:
		e.Hint, e.Err = hintDisabled, ErrInventoryDisabled
		if e.Message == disabledText || html {
			e.Message = ""
		}
	case code == http.StatusUnauthorized:
		e.Err = ErrUnauthorized
		switch {
		case sent == authBasic:
			e.Hint = hintAuthBasic
		case sent == authOAuth:
			e.Hint = hintAuthOAuth
		case strings.HasPrefix(strings.ToLower(header.Get("WWW-Authenticate")), "basic"):
			e.Hint = hintAuthNoneBasic
		default:
			e.Hint = hintAuthNone
		}
	case code == http.StatusBadRequest && html && bytes.Contains(body, []byte("SSL certificate")):
		// nginx's ssl_verify_client answers a missing or refused
		// certificate with a 400 page rather than in the handshake.
		e.Hint, e.Err = hintClientCert, ErrClientCert
		e.Message = htmlTitle(body)
	case code >= 300 && code < 400:
		e.Hint, e.Err = "the server redirects to "+oneLine(header.Get("Location"))+": set the server URL to that address", ErrNotGLPI
		e.Message = ""
	case code == http.StatusProxyAuthRequired:
		e.Hint = hintProxyAuth
	case code == http.StatusUnsupportedMediaType:
		e.Hint = hintBrotli
	case code == http.StatusNotImplemented && a != nil:
		e.Hint = hintNotSupported
	case code == http.StatusNotFound || code == http.StatusMethodNotAllowed || html || (a == nil && code < 300):
		e.Hint, e.Err = hintNotGLPI, ErrNotGLPI
		if html {
			e.Message = htmlTitle(body)
		}
	}
	return nil, e
}

// tlsError returns an *Error with a hint when err is a certificate failure.
func tlsError(err error) (*Error, bool) {
	var (
		verr  *tls.CertificateVerificationError
		uaerr x509.UnknownAuthorityError
		hnerr x509.HostnameError
		cierr x509.CertificateInvalidError
	)
	if errors.As(err, &verr) || errors.As(err, &uaerr) || errors.As(err, &hnerr) ||
		errors.As(err, &cierr) || errors.Is(err, tlspin.ErrNoMatch) {
		return &Error{Message: oneLine(unwrapURL(err).Error()), Hint: hintTLS, Err: ErrTLS}, true
	}
	// The server's alert when it wants a client certificate: sent in the
	// handshake, seen by a TLS 1.3 client at its first read.
	var operr *net.OpError
	if errors.As(err, &operr) && operr.Op == "remote error" {
		switch msg := operr.Err.Error(); {
		case strings.HasSuffix(msg, "certificate required"), strings.HasSuffix(msg, "bad certificate"),
			strings.HasSuffix(msg, "unknown certificate authority"), strings.HasSuffix(msg, "certificate expired"),
			strings.HasSuffix(msg, "certificate revoked"), strings.HasSuffix(msg, "unsupported certificate"):
			return &Error{Message: oneLine(operr.Error()), Hint: hintClientCert, Err: ErrClientCert}, true
		}
	}
	return nil, false
}

// unwrapURL drops the *url.Error layer, whose text repeats the method and URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func looksHTML(b []byte) bool {
	head := bytes.ToLower(bytes.TrimSpace(b[:min(len(b), 512)]))
	return bytes.HasPrefix(head, []byte("<!doctype html")) || bytes.HasPrefix(head, []byte("<html")) ||
		bytes.Contains(head, []byte("<head")) || bytes.Contains(head, []byte("<body"))
}

// htmlTitle describes an HTML page by its title.
func htmlTitle(b []byte) string {
	lower := bytes.ToLower(b)
	i := bytes.Index(lower, []byte("<title"))
	if i < 0 {
		return "got an HTML page"
	}
	rest := b[i:]
	start := bytes.IndexByte(rest, '>')
	end := bytes.Index(bytes.ToLower(rest), []byte("</title"))
	if start < 0 || end < start {
		return "got an HTML page"
	}
	return fmt.Sprintf("got an HTML page titled %q", oneLine(string(rest[start+1:end])))
}

// excerpt returns the start of a non-JSON body as one printable line.
func excerpt(b []byte) string {
	if !utf8.Valid(b) {
		return ""
	}
	return oneLine(string(b))
}

// oneLine collapses white space and caps s to keep error messages on one
// readable line.
func oneLine(s string) string {
	const max = 300
	s = strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
