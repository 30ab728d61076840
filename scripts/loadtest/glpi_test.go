package loadtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/glpi"
	"github.com/glpi-agentd/glpi-agentd/glpi/glpitest"
	"github.com/glpi-agentd/glpi-agentd/glpi/schematest"
)

// sink is a GLPI stand-in that reports what it received.
type sink interface {
	http.Handler
	// count returns how many inventories were accepted so far.
	count() int
	// received returns the deviceid and marker of every accepted inventory.
	received(t *testing.T) []received
	// rejected returns how many inventories failed schema validation.
	rejected() int64
}

// schemaSink is glpitest's GLPI, which validates every inventory against
// the official schema.
type schemaSink struct{ *glpitest.Server }

func (s schemaSink) count() int { return len(s.Inventories()) }

// rejected is always 0: glpitest keeps no count of refused inventories,
// and a refused one is missing from received.
func (s schemaSink) rejected() int64 { return 0 }

func (s schemaSink) received(t *testing.T) []received {
	invs := s.Inventories()
	out := make([]received, len(invs))
	for i, inv := range invs {
		r, err := parseReceived(inv.JSON)
		if err != nil {
			t.Errorf("GLPI kept an unreadable inventory: %v", err)
		}
		out[i] = r
	}
	return out
}

// lightSink answers like GLPI to inventories and keeps only their
// deviceid and marker, for runs too large for the validating stand-in. It
// validates one inventory in every against the schema, if set; a sample
// is enough to catch a relay that mangles messages.
type lightSink struct {
	schema  *schematest.Schema
	every   int64
	invalid atomic.Int64

	mu   sync.Mutex
	recs []received
	n    atomic.Int64
}

func (s *lightSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ct := r.Header.Get("Content-Type")
	body, err := glpi.Decode(ct, r.Body, glpi.DefaultMaxBytes)
	if err != nil {
		glpiAnswer(w, ct, http.StatusBadRequest, map[string]any{"status": glpi.StatusError, "message": glpitest.MsgNotWellFormed})
		return
	}
	rec, err := parseReceived(body)
	if err != nil || rec.DeviceID == "" {
		glpiAnswer(w, ct, http.StatusBadRequest, map[string]any{"status": glpi.StatusError, "message": glpitest.MsgNotWellFormed})
		return
	}
	if s.schema != nil && s.every > 0 && s.n.Load()%s.every == 0 {
		if err := s.schema.Validate(body); err != nil {
			s.invalid.Add(1)
			glpiAnswer(w, ct, http.StatusInternalServerError, map[string]any{"status": glpi.StatusError,
				"message": glpitest.MsgDoesNotValidate + err.Error()})
			return
		}
	}
	s.mu.Lock()
	s.recs = append(s.recs, rec)
	s.mu.Unlock()
	s.n.Add(1)
	glpiAnswer(w, ct, http.StatusOK, map[string]any{"status": glpi.StatusOK, "expiration": 24})
}

func (s *lightSink) count() int { return int(s.n.Load()) }

func (s *lightSink) rejected() int64 { return s.invalid.Load() }

func (s *lightSink) received(*testing.T) []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.recs...)
}

// glpiAnswer writes a GLPI JSON answer in the request's compression.
func glpiAnswer(w http.ResponseWriter, requestType string, status int, v any) {
	b, _ := json.Marshal(v)
	compression, err := glpi.CompressionOf(requestType)
	if err != nil {
		compression = glpi.CompressionNone
	}
	encoded, contentType, err := glpi.Encode(b, compression)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(encoded)
}

// glpiFront serves a sink and can take it down: while down, every request
// gets 503, as from a reverse proxy in front of a GLPI in maintenance.
type glpiFront struct {
	sink
	down    atomic.Bool
	refused atomic.Int64
	URL     string
}

// newGLPI starts a GLPI stand-in: glpitest's when validateEvery is 1,
// else a lightSink that validates one inventory in validateEvery (none
// for 0).
func newGLPI(t *testing.T, validateEvery int) *glpiFront {
	t.Helper()
	f := &glpiFront{}
	if validateEvery != 1 {
		schema, err := schematest.Load()
		if err != nil {
			t.Logf("no schema validation at GLPI: %v", err)
		}
		f.sink = &lightSink{schema: schema, every: int64(validateEvery)}
	} else {
		f.sink = schemaSink{glpitest.New(t)}
	}
	hs := httptest.NewServer(f)
	t.Cleanup(hs.Close)
	f.URL = hs.URL + "/"
	return f
}

func (f *glpiFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.down.Load() {
		f.refused.Add(1)
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	}
	f.sink.ServeHTTP(w, r)
}
