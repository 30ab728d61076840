package glpi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTokenURL(t *testing.T) {
	tests := map[string]string{
		"https://glpi.example/":                                     "https://glpi.example/api.php/token",
		"https://glpi.example":                                      "https://glpi.example/api.php/token",
		"https://glpi.example/front/inventory.php":                  "https://glpi.example/api.php/token",
		"https://glpi.example/glpi/front/inventory.php":             "https://glpi.example/glpi/api.php/token",
		"https://glpi.example/glpi/":                                "https://glpi.example/glpi/api.php/token",
		"https://glpi.example/marketplace/glpiinventory/":           "https://glpi.example/api.php/token",
		"https://glpi.example/glpi/plugins/glpiinventory/":          "https://glpi.example/glpi/api.php/token",
		"https://glpi.example/Inventory":                            "https://glpi.example/api.php/token",
		"https://glpi.example/index.php":                            "https://glpi.example/api.php/token",
		"https://user:pw@glpi.example:8443/front/inventory.php?x=1": "https://glpi.example:8443/api.php/token",
	}
	for in, want := range tests {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := tokenURL(u); got != want {
			t.Errorf("tokenURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// oauthServer is a GLPI 11 with OAuth client credentials.
type oauthServer struct {
	t            *testing.T
	mu           sync.Mutex
	tokens       map[string]bool
	issued       int
	expiresIn    any
	tokenStatus  int
	posts        int
	refuseAll    bool
	lastTokenReq map[string]string
}

func (s *oauthServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.URL.Path {
	case "/glpi/api.php/token":
		if ct := r.Header.Get("Content-Type"); ct != ContentTypeJSON {
			s.t.Errorf("token request Content-Type = %q, want %q", ct, ContentTypeJSON)
		}
		json.NewDecoder(r.Body).Decode(&s.lastTokenReq)
		if s.tokenStatus != 0 {
			w.WriteHeader(s.tokenStatus)
			io.WriteString(w, `{"error":"invalid_client","error_description":"Client authentication failed","message":"Client authentication failed"}`)
			return
		}
		s.issued++
		tok := fmt.Sprintf("token-%d", s.issued)
		s.tokens[tok] = true
		json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": s.expiresIn, "access_token": tok})
	case "/glpi/front/inventory.php":
		s.posts++
		if s.refuseAll || !s.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")] {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"status":"error","message":"Authorization header required to send an inventory","expiration":24}`)
			return
		}
		io.WriteString(w, `{"status":"ok","expiration":24}`)
	default:
		http.NotFound(w, r)
	}
}

func TestOAuth(t *testing.T) {
	s := &oauthServer{t: t, tokens: map[string]bool{}, expiresIn: 3600}
	srv := httptest.NewServer(s)
	defer srv.Close()
	var logs bytes.Buffer
	const secret = "very-secret-value"
	c := newTestClient(t, Config{
		URL: srv.URL + "/glpi/front/inventory.php", OAuthClientID: "agents", OAuthClientSecret: secret,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	clock := time.Now()
	c.now = func() time.Time { return clock }
	contact := func() error {
		_, err := c.Contact(t.Context(), testContact())
		return err
	}

	for i := range 3 {
		if err := contact(); err != nil {
			t.Fatalf("Contact() #%d error: %v", i, err)
		}
	}
	if s.issued != 1 {
		t.Errorf("after 3 contacts, tokens issued = %d, want 1 (cached)", s.issued)
	}
	want := map[string]string{"grant_type": "client_credentials", "client_id": "agents", "client_secret": secret, "scope": "inventory"}
	for k, v := range want {
		if s.lastTokenReq[k] != v {
			t.Errorf("token request %s = %q, want %q", k, s.lastTokenReq[k], v)
		}
	}

	clock = clock.Add(3600*time.Second - 30*time.Second) // within the renewal margin
	if err := contact(); err != nil {
		t.Fatalf("Contact() after expiry error: %v", err)
	}
	if s.issued != 2 {
		t.Errorf("after expiry, tokens issued = %d, want 2", s.issued)
	}

	s.mu.Lock()
	clear(s.tokens) // the server forgets its tokens
	posts := s.posts
	s.mu.Unlock()
	if err := contact(); err != nil {
		t.Fatalf("Contact() after revocation error: %v", err)
	}
	if s.issued != 3 || s.posts != posts+2 {
		t.Errorf("after revocation, tokens issued = %d, posts = %d; want 3, %d (one refresh, one replay)", s.issued, s.posts, posts+2)
	}

	// A freshly fetched token that is refused is not fetched again.
	s.mu.Lock()
	s.refuseAll = true
	issued, posts := s.issued, s.posts
	s.mu.Unlock()
	c.dropToken()
	err := contact()
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "oauth_client_id") {
		t.Errorf("Contact() with a refused token error = %v, want ErrUnauthorized naming oauth_client_id", err)
	}
	if s.issued != issued+1 || s.posts != posts+1 {
		t.Errorf("with a refused fresh token, tokens issued = %d, posts = %d; want %d, %d", s.issued, s.posts, issued+1, posts+1)
	}
	for _, leak := range []string{secret, "token-"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("Contact() error = %q reveals %q", err, leak)
		}
	}

	if strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), "token-") {
		t.Errorf("debug log reveals the client secret or a token:\n%s", logs.String())
	}
}

func TestOAuthTokenErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		expiresIn any
		path      string
		wantIs    error
		wantText  string
		wantLife  time.Duration
	}{
		{name: "refused", status: 401, wantIs: ErrUnauthorized, wantText: "HTTP 401: the server refused the OAuth token: check oauth_client_id"},
		{name: "no endpoint", path: "/elsewhere/", wantIs: ErrNotGLPI, wantText: "no OAuth token endpoint at"},
		{name: "default lifetime", expiresIn: nil, wantLife: 54 * time.Second},
		{name: "hour", expiresIn: 3600, wantLife: 59 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &oauthServer{t: t, tokens: map[string]bool{}, expiresIn: tt.expiresIn, tokenStatus: tt.status}
			srv := httptest.NewServer(s)
			defer srv.Close()
			path := tt.path
			if path == "" {
				path = "/glpi/front/inventory.php"
			}
			c := newTestClient(t, Config{URL: srv.URL + path, OAuthClientID: "agents", OAuthClientSecret: "very-secret-value"})
			now := time.Now()
			c.now = func() time.Time { return now }
			_, err := c.Contact(t.Context(), testContact())
			if tt.wantIs == nil {
				if err != nil {
					t.Fatalf("Contact() error: %v", err)
				}
				if life := c.tokenExpiry.Sub(now); life != tt.wantLife {
					t.Errorf("token cached for %v, want %v", life, tt.wantLife)
				}
				return
			}
			if !errors.Is(err, tt.wantIs) || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("Contact() error = %v, want %v containing %q", err, tt.wantIs, tt.wantText)
			}
			if strings.Contains(err.Error(), "very-secret-value") {
				t.Errorf("Contact() error = %q reveals the secret", err)
			}
		})
	}
}
