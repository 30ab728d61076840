package agent

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
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
			send, partial := plan(content, cur, prev, 0, postpone, false, nil)
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
