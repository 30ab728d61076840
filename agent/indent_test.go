package agent

import (
	"bytes"
	"encoding/json"
	"testing"
)

var indentCases = []string{
	`{}`, `[]`, `{"a":[]}`, `{"a":{},"b":[{}]}`, `[1,2,[3,[4,{}]]]`, `"x"`, `0`, `null`,
	`{"s":"a,b:{c}[d]","e":"\"q\\\"","u":"\u00e9\u2028"}`,
	`{"content":{"softwares":[{"name":"x","version":"1.0"},{"name":"y"}],"hardware":{"memory":2048,"uuid":null}}}`,
}

// indentJSON indents as json.Indent does.
func TestIndentJSON(t *testing.T) {
	for _, in := range indentCases {
		var want bytes.Buffer
		if err := json.Indent(&want, []byte(in), "", "  "); err != nil {
			t.Fatal(err)
		}
		if got := indentJSON(nil, []byte(in), "  "); string(got) != want.String() {
			t.Errorf("indentJSON(%s) =\n%s\nwant\n%s", in, got, want.String())
		}
	}
}

func FuzzIndentJSON(f *testing.F) {
	for _, in := range indentCases {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var compact, want bytes.Buffer
		if json.Compact(&compact, in) != nil || !bytes.Equal(compact.Bytes(), in) {
			return // indentJSON is for compact, valid JSON only
		}
		json.Indent(&want, in, "", "\t")
		if got := indentJSON(nil, in, "\t"); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("indentJSON(%q) = %q, json.Indent %q", in, got, want.Bytes())
		}
	})
}

func BenchmarkIndentJSON(b *testing.B) {
	softs := make([]map[string]string, 900)
	for i := range softs {
		softs[i] = map[string]string{"name": "package", "version": "1.2.3-4", "publisher": "Debian", "arch": "amd64", "comments": "a tool, with: punctuation [and] {braces}"}
	}
	src, _ := json.Marshal(map[string]any{"content": map[string]any{"softwares": softs}})
	b.SetBytes(int64(len(src)))
	b.Run("indentJSON", func(b *testing.B) {
		var dst []byte
		for b.Loop() {
			dst = indentJSON(dst[:0], src, "  ")
		}
	})
	b.Run("json.Indent", func(b *testing.B) {
		var dst bytes.Buffer
		for b.Loop() {
			dst.Reset()
			json.Indent(&dst, src, "", "  ")
		}
	})
}
