package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
)

// Paths of the administration API, enabled by Config.AdminToken.
const (
	PathAdminRunNow = "/api/v1/admin/devices/{id}/run-now"
	PathAdminAction = "/api/v1/admin/actions/{id}"
)

// RunNowRequest is the optional body of POST PathAdminRunNow: a full
// inventory unless categories are given.
type RunNowRequest struct {
	Categories []string `json:"categories,omitempty"`
	Full       bool     `json:"full,omitempty"`
}

// RunNowResponse is the 202 answer of PathAdminRunNow.
type RunNowResponse struct {
	ID       string `json:"id"`
	DeviceID string `json:"device_id"`
	State    string `json:"state"`
}

var categoryName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// ErrCategories reports an invalid category list given to QueueRunNow.
var ErrCategories = errors.New("invalid inventory categories")

// QueueRunNow queues a run_inventory action for a live device: a full
// inventory when categories is empty, else only those categories.
func QueueRunNow(ctx context.Context, st store.Store, deviceID string, categories []string, now time.Time) (*store.Action, error) {
	if len(categories) > 64 {
		return nil, fmt.Errorf("queue inventory: %w: more than 64", ErrCategories)
	}
	for _, c := range categories {
		if !categoryName.MatchString(c) {
			return nil, fmt.Errorf("queue inventory: %w: %q is not a category name", ErrCategories, c)
		}
	}
	a := &store.Action{ID: newDeviceID(), DeviceID: deviceID, Type: enroll.ActionRunInventory,
		Full: len(categories) == 0, Categories: categories, CreatedAt: now}
	if err := st.QueueAction(ctx, a); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			// Say why a device that exists takes no action.
			if d, derr := st.Device(ctx, deviceID); derr == nil {
				switch {
				case !d.RevokedAt.IsZero():
					return nil, fmt.Errorf("queue inventory: device %s was revoked on %s: it runs nothing until it enrolls again: %w", deviceID, d.RevokedAt.UTC().Format(time.DateTime), ErrDeviceRevoked)
				case !d.RetiredAt.IsZero():
					return nil, fmt.Errorf("queue inventory: device %s was retired on %s (silent past its key's ephemeral window): %w", deviceID, d.RetiredAt.UTC().Format(time.DateTime), ErrDeviceRevoked)
				}
			}
		}
		return nil, err
	}
	return a, nil
}

// ErrDeviceRevoked reports an action asked of a revoked or retired device.
var ErrDeviceRevoked = errors.New("device revoked or retired")

// admin guards an administration handler with the admin bearer token,
// compared in constant time, and sets the headers of an API that browsers
// must never render, frame or cache.
func (s *Server) admin(next http.HandlerFunc) http.Handler {
	want := sha256.Sum256([]byte(s.cfg.AdminToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", "default-src 'none'")
		h.Set("X-Frame-Options", "DENY")
		// Hashing first makes the comparison independent of the length
		// of the presented token.
		got := sha256.Sum256([]byte(bearer(r)))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			h.Set("WWW-Authenticate", `Bearer realm="glpi-enrolld admin"`)
			s.log.Info("admin request refused", "source_ip", sourceIP(r).String(), "path", r.URL.Path)
			s.reject(w, http.StatusUnauthorized, enroll.ReasonTokenInvalid, "admin token required", 0)
			return
		}
		next(w, r)
	})
}

func (s *Server) handleAdminRunNow(w http.ResponseWriter, r *http.Request) {
	ctx, id := r.Context(), r.PathValue("id")
	var req RunNowRequest
	body, err := readBody(w, r, 16<<10)
	if err == nil && len(body) > 0 {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		s.reject(w, http.StatusBadRequest, enroll.ReasonBadRequest, "want {\"categories\": [...], \"full\": bool}", 0)
		return
	}
	if req.Full {
		req.Categories = nil
	}
	a, err := QueueRunNow(ctx, s.st, id, req.Categories, s.now())
	switch {
	case errors.Is(err, ErrDeviceRevoked):
		s.reject(w, http.StatusConflict, enroll.ReasonDeviceRevoked, err.Error(), 0)
		return
	case errors.Is(err, store.ErrNotFound):
		s.reject(w, http.StatusNotFound, enroll.ReasonDeviceUnknown, "no live device "+id, 0)
		return
	case errors.Is(err, ErrCategories):
		s.reject(w, http.StatusBadRequest, enroll.ReasonBadRequest, err.Error(), 0)
		return
	case err != nil:
		s.unavailable(w, "queue inventory", id, err)
		return
	}
	s.hub.notify(id)
	s.audit(ctx, store.Event{Event: "run_now_queued", DeviceID: id, SourceIP: sourceIP(r).String(), Detail: "action " + a.ID + " (admin api)"})
	writeJSON(w, http.StatusAccepted, RunNowResponse{ID: a.ID, DeviceID: id, State: a.State})
}

func (s *Server) handleAdminAction(w http.ResponseWriter, r *http.Request) {
	a, err := s.st.Action(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.reject(w, http.StatusNotFound, enroll.ReasonBadRequest, "no such action", 0)
	case err != nil:
		s.unavailable(w, "read action", "", err)
	default:
		writeJSON(w, http.StatusOK, a)
	}
}
