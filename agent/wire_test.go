package agent

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/agent/config"
	"github.com/glpi-agentd/glpi-agentd/collectors"
	"github.com/glpi-agentd/glpi-agentd/glpi"
)

// BenchmarkWireBytes reports the bytes on the wire of this machine's
// inventory as the agent sends it (JSON, zlib): full, partial after a
// software change, and unchanged (the sections GLPI needs to match the
// computer, nothing else).
func BenchmarkWireBytes(b *testing.B) {
	infos, err := collectors.Select(nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	content, _ := collectors.Run(b.Context(), &collectors.Env{}, infos, time.Minute, nil)
	content["versionclient"] = "glpi-agentd_vbench"
	cur := digests(content)
	softChanged := make(map[string]string, len(cur))
	for k, v := range cur {
		softChanged[k] = v
	}
	softChanged["softwares"] = "changed"
	postpone := config.Default().FullInventoryPostpone
	sizes := map[string]int{}
	for b.Loop() {
		for name, prev := range map[string]map[string]string{"full": nil, "partial": softChanged, "unchanged": cur} {
			send, partial := plan(content, cur, prev, 0, postpone, false, nil, nil)
			msg := glpi.Inventory{Action: "inventory", DeviceID: "bench", ItemType: "Computer", Partial: partial, Content: send}
			raw, err := json.Marshal(msg)
			if err != nil {
				b.Fatal(err)
			}
			var buf bytes.Buffer
			w := zlib.NewWriter(&buf)
			w.Write(raw)
			w.Close()
			sizes[name] = buf.Len()
			sizes[name+"-json"] = len(raw)
		}
	}
	for _, name := range []string{"full", "partial", "unchanged"} {
		b.ReportMetric(float64(sizes[name]), name+"-B")
		b.ReportMetric(float64(sizes[name+"-json"]), name+"-json-B")
	}
}

// BenchmarkSections is the agent's own work on a collected inventory
// (the VM fixture's) in a run whose sections have not changed: carry-over
// bookkeeping, section digests and the message's JSON.
func BenchmarkSections(b *testing.B) {
	cfg := config.Default()
	cfg.StateDir, cfg.NoHTTPD = b.TempDir(), true
	a, err := New(cfg, &collectors.Env{Root: "../collectors/testdata/vm"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	infos, err := collectors.Select(nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	collected, results := collectors.Run(b.Context(), a.env, infos, time.Minute, nil)
	a.carryOver(maps.Clone(collected), results, time.Now()) // the last good sections, as a previous run leaves them
	for b.Loop() {
		content := maps.Clone(collected)
		a.carryOver(content, results, time.Now())
		digests(content)
		if _, err := (&glpi.Inventory{Action: "inventory", DeviceID: "bench", ItemType: "Computer", Content: content}).Encode(); err != nil {
			b.Fatal(err)
		}
	}
}
