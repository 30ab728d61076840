package server

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
	"github.com/glpi-agentd/glpi-agentd/glpi"
	"github.com/glpi-agentd/glpi-agentd/glpi/glpitest"
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

// spoofOf returns host's inventory claiming the identity of victim: its
// SMBIOS UUID and serial, or either.
func spoofOf(host, victim string, uuid, serial bool) []byte {
	var msg map[string]any
	json.Unmarshal(inventoryJSON(host, 1), &msg)
	content := msg["content"].(map[string]any)
	if uuid {
		content["hardware"].(map[string]any)["uuid"] = hostUUID(victim)
	}
	if serial {
		content["bios"].(map[string]any)["ssn"] = "SN-" + victim
	}
	return mustJSON(msg)
}

// TestInventoryIdentityChecked: a device token cannot make GLPI update
// another computer. An inventory whose SMBIOS UUID or serial is not the
// enrolled machine's is refused, not relayed, audited as
// identity_mismatch and handled by the key's clone policy (quarantine in
// place of fork); the device's own inventories still go through, whatever
// the case or byte order of its UUID.
func TestInventoryIdentityChecked(t *testing.T) {
	g := glpitest.New(t)
	relay, err := glpi.New(glpi.Config{URL: g.URL, Retries: -1, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) { c.Relay = relay })
	ctx := t.Context()
	key := e.key(KeyOptions{})
	e.enroll(key, enrollReq("victim"))
	pc := e.enroll(key, enrollReq("pc"))
	tok := pc.Credential.AccessToken

	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"UUID and serial", spoofOf("pc", "victim", true, true)},
		{"UUID only", spoofOf("pc", "victim", true, false)},
		{"serial only", spoofOf("pc", "victim", false, true)},
		{"placeholder UUID", bytes.Replace(inventoryJSON("pc", 1), []byte(hostUUID("pc")), []byte("03000200-0400-0500-0006-000700080009"), 1)},
	} {
		_, err := e.client.SendInventory(ctx, tok, tc.body)
		wantReject(t, err, 403, enroll.ReasonCloneQuarantined)
	}
	evs := e.events("identity_mismatch")
	if len(evs) != 4 || evs[0].DeviceID != pc.DeviceID || !strings.Contains(evs[0].Detail, "smbios_uuid") || !strings.Contains(evs[0].Detail, "serial") {
		t.Errorf("audit = %+v, want four identity_mismatch of %s, the first naming smbios_uuid and serial", evs, pc.DeviceID)
	}
	if d, _ := e.st.Device(ctx, pc.DeviceID); d.State() != store.StateCloneSuspected {
		t.Errorf("device state = %s, want %s", d.State(), store.StateCloneSuspected)
	}
	// Sent again: still refused, audited once.
	_, err = e.client.SendInventory(ctx, tok, spoofOf("pc", "victim", true, true))
	wantReject(t, err, 403, enroll.ReasonCloneQuarantined)
	if n := len(e.events("identity_mismatch")); n != 4 {
		t.Errorf("%d identity_mismatch events after a repeat, want 4", n)
	}

	// Its own identity, in the other case and byte order firmware may use.
	u := hostUUID("pc")
	swapped := strings.ToLower(u[6:8] + u[4:6] + u[2:4] + u[0:2] + "-" + u[11:13] + u[9:11] + "-" + u[16:18] + u[14:16] + u[18:])
	own := bytes.Replace(inventoryJSON("pc", 2), []byte(u), []byte(swapped), 1)
	if _, err := e.client.SendInventory(ctx, tok, own); err != nil {
		t.Fatalf("SendInventory(own identity, %s): %v", swapped, err)
	}
	g.WaitInventories(t, 1, 10*time.Second)
	waitFor(t, func() bool { n, err := e.st.OutboxDepth(ctx); return err == nil && n == 0 }) // nothing else to relay
	if got := g.Inventories(); len(got) != 1 || got[0].DeviceID != pc.GLPIDeviceID {
		t.Fatalf("GLPI received %d inventories, want only pc's own", len(got))
	}

	// An administrator who approves lets that identity through.
	if _, err := e.st.ApproveClones(ctx, pc.DeviceID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.SendInventory(ctx, tok, spoofOf("pc", "victim", true, false)); err != nil {
		t.Errorf("SendInventory(approved identity): %v", err)
	}

	// Under the reject policy the refusal is final.
	strict := e.enroll(e.key(KeyOptions{ClonePolicy: store.ClonePolicyReject}), enrollReq("pc-strict"))
	_, err = e.client.SendInventory(ctx, strict.Credential.AccessToken, spoofOf("pc-strict", "victim", true, true))
	wantReject(t, err, 403, enroll.ReasonCloneRejected)
}

// TestUsedUpKeyGivesNothingBack: a key's state is checked before anything
// else, so that a used-up, revoked or expired key re-issues no device, even
// to a request repeating the device's install id and fingerprint, or its
// replace secret.
func TestUsedUpKeyGivesNothingBack(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	key := e.key(KeyOptions{MaxUses: 1})
	first := e.enroll(key, enrollReq("pc"))

	_, err := e.client.Enroll(ctx, key, enrollReq("pc"))
	wantReject(t, err, 403, enroll.ReasonKeyExhausted)
	replace := enrollReq("pc")
	replace.Replace = &enroll.Replace{DeviceID: first.DeviceID, ReplaceSecret: first.ReplaceSecret}
	_, err = e.client.Enroll(ctx, key, replace)
	wantReject(t, err, 403, enroll.ReasonKeyExhausted)

	revoked := e.key(KeyOptions{})
	second := e.enroll(revoked, enrollReq("pc-2"))
	k, _ := enroll.ParseKey(revoked)
	if err := e.st.RevokeKey(ctx, k.ID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.Enroll(ctx, revoked, enrollReq("pc-2"))
	wantReject(t, err, 403, enroll.ReasonKeyRevoked)

	for _, id := range []string{first.DeviceID, second.DeviceID} {
		if d, _ := e.st.Device(ctx, id); d.Generation != 1 {
			t.Errorf("device %s at generation %d, want 1: a refused enrollment re-issued its credential", id, d.Generation)
		}
	}
}

// TestGraceReplayByAnotherClient: within the grace window, the previous
// refresh secret renews again only for the client that rotated it, which
// proposes the same next secret (a resent request whose answer was lost).
// Another client replaying it, with a next secret of its own or none, is a
// clone handled by the key's policy and takes nothing over.
func TestGraceReplayByAnotherClient(t *testing.T) {
	for _, policy := range []store.ClonePolicy{store.ClonePolicyFork, store.ClonePolicyQuarantine} {
		t.Run(string(policy), func(t *testing.T) {
			e := newEnv(t, nil)
			ctx := t.Context()
			req := enrollReq("pc")
			dev := e.enroll(e.key(KeyOptions{ClonePolicy: policy}), req)
			spent := dev.Credential.RefreshSecret
			n1 := enroll.NewToken(enroll.RefreshSecretPrefix)
			rotate := &enroll.RefreshRequest{DeviceID: dev.DeviceID, RefreshSecret: spent, Generation: 1, Fingerprint: &req.Fingerprint, NextRefreshSecret: n1}
			if _, err := e.client.Refresh(ctx, rotate); err != nil {
				t.Fatalf("rotation: %v", err)
			}
			e.clock.Advance(10 * time.Second)
			// The same request again (its answer was lost): renewed.
			if cred, err := e.client.Refresh(ctx, rotate); err != nil || cred.RefreshSecret != n1 {
				t.Fatalf("resent rotation within the grace = %v, %v; want a credential with the proposed secret", cred, err)
			}

			status, want := 401, enroll.ReasonDeviceUnknown
			if policy == store.ClonePolicyQuarantine {
				status, want = 403, enroll.ReasonCloneQuarantined
			}
			for _, next := range []string{enroll.NewToken(enroll.RefreshSecretPrefix), ""} {
				_, err := e.client.Refresh(ctx, &enroll.RefreshRequest{DeviceID: dev.DeviceID, RefreshSecret: spent, Generation: 1,
					Fingerprint: &req.Fingerprint, NextRefreshSecret: next})
				wantReject(t, err, status, want)
			}
			evs := e.events("clone_suspected")
			if len(evs) != 1 || evs[0].Reason != "replay" || !strings.Contains(evs[0].Detail, "within the grace window") {
				t.Errorf("audit = %+v, want one clone_suspected by replay within the grace window", evs)
			}
			if d, _ := e.st.Device(ctx, dev.DeviceID); d.Generation != 3 {
				t.Errorf("device generation = %d, want 3: the replays changed the credential", d.Generation)
			}
			// The client that rotated goes on with its secret.
			if _, err := e.client.Refresh(ctx, &enroll.RefreshRequest{DeviceID: dev.DeviceID, RefreshSecret: n1, Generation: 3,
				Fingerprint: &req.Fingerprint, NextRefreshSecret: enroll.NewToken(enroll.RefreshSecretPrefix)}); err != nil {
				t.Errorf("rotating client's next renewal: %v", err)
			}
		})
	}
}
