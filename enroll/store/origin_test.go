package store

import (
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// TestAgentOrigin, on every backend: an outbox item keeps the address its
// inventory came from and the port of the agent's listener, for the
// relay; an inventory GLPI asked for is recorded once, for its own device
// only, as requested by GLPI.
func TestAgentOrigin(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s, ctx := open(t), t.Context()
			s.CreateKey(ctx, newKey("k1", 0))
			for _, id := range []string{"d1", "d2"} {
				if _, err := s.Enroll(ctx, newDevice(id, "k1"), Secrets{AccessHash: "a" + id, RefreshHash: "r" + id}, t0, Event{At: t0, Event: "e"}); err != nil {
					t.Fatal(err)
				}
			}
			inv := &Inventory{DeviceID: "d1", ReceivedAt: t0, Size: 1, Body: []byte{1}, Sections: map[string]Section{},
				SourceIP: "198.51.100.7", HTTPDPort: 62999}
			if _, err := s.SaveInventory(ctx, inv, true, "agent-d1", 20, 0); err != nil {
				t.Fatal(err)
			}
			items, err := s.ClaimOutbox(ctx, 10, t0, time.Minute)
			if err != nil || len(items) != 1 || items[0].SourceIP != "198.51.100.7" || items[0].HTTPDPort != 62999 {
				t.Errorf("ClaimOutbox = %+v, %v; want one item from 198.51.100.7, port 62999", items, err)
			}

			a := &Action{ID: "0b6c8c1e-6a0e-4c55-9d2a-2f7c1f5e9a01", DeviceID: "d1", Type: enroll.ActionRunInventory, Full: true,
				CreatedAt: t0, RequestedBy: RequestedByGLPI, RequestedFrom: "198.51.100.3"}
			for range 2 { // the second, a replay, records nothing
				if err := s.RecordRequested(ctx, a); err != nil {
					t.Fatal(err)
				}
			}
			taken := *a
			taken.DeviceID = "d2" // another device cannot take the id
			if err := s.RecordRequested(ctx, &taken); err != nil {
				t.Fatal(err)
			}
			got, err := s.DeviceActions(ctx, "d1", 10)
			if err != nil || len(got) != 1 || got[0].RequestedBy != RequestedByGLPI || got[0].RequestedFrom != "198.51.100.3" ||
				got[0].State != enroll.ActionRunning || len(got[0].History) != 1 {
				t.Errorf("DeviceActions(d1) = %+v, %v; want one running action requested by GLPI, one history entry", got, err)
			}
			if got, _ := s.DeviceActions(ctx, "d2", 10); len(got) != 0 {
				t.Errorf("DeviceActions(d2) = %+v, want none", got)
			}
			// Never delivered back to the agent that announced it.
			if got, err := s.DeliverActions(ctx, "d1", t0.Add(time.Hour), time.Minute); err != nil || len(got) != 0 {
				t.Errorf("DeliverActions(d1) = %+v, %v; want none", got, err)
			}
			if err := s.RevokeDevice(ctx, "d2", t0); err != nil {
				t.Fatal(err)
			}
			if err := s.RecordRequested(ctx, &Action{ID: "1b6c8c1e-6a0e-4c55-9d2a-2f7c1f5e9a01", DeviceID: "d2", Type: enroll.ActionRunInventory,
				CreatedAt: t0, RequestedBy: RequestedByGLPI, RequestedFrom: "198.51.100.3"}); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.DeviceActions(ctx, "d2", 10); len(got) != 0 {
				t.Errorf("DeviceActions(revoked d2) = %+v, want none", got)
			}
		})
	}
}
