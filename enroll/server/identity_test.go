package server

import (
	"testing"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// TestNewerTokenEndsOlder: an access token stops working as soon as a
// newer one is issued to its device, by a renewal or a repeated
// enrollment, not at its expiry: a copied token dies at the next renewal.
func TestNewerTokenEndsOlder(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	key := e.key(KeyOptions{})
	req := enrollReq("pc")
	first := e.enroll(key, req)
	second, err := e.client.Refresh(ctx, &enroll.RefreshRequest{Fingerprint: &req.Fingerprint, DeviceID: first.DeviceID,
		RefreshSecret: first.Credential.RefreshSecret, Generation: 1})
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	_, err = e.client.SendInventory(ctx, first.Credential.AccessToken, inventoryJSON("pc", 1))
	wantReject(t, err, 401, enroll.ReasonTokenInvalid)
	if _, err := e.client.SendInventory(ctx, second.AccessToken, inventoryJSON("pc", 1)); err != nil {
		t.Fatalf("SendInventory(renewed token): %v", err)
	}

	third := e.enroll(key, req) // the same installation enrolls again
	_, err = e.client.SendInventory(ctx, second.AccessToken, inventoryJSON("pc", 1))
	wantReject(t, err, 401, enroll.ReasonTokenInvalid)
	if _, err := e.client.SendInventory(ctx, third.Credential.AccessToken, inventoryJSON("pc", 1)); err != nil {
		t.Fatalf("SendInventory(re-enrolled token): %v", err)
	}
}
