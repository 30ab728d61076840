package collectors

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// wmiTarget has a field of each type the WMI structs use.
type wmiTarget struct {
	S   string
	B   bool
	U8  uint8
	I16 int16
	U16 uint16
	I32 int32
	U32 uint32
	I64 int64
	U64 uint64
	F64 float64
	AU  []uint16
	AI  []int32
	AS  []string
}

func TestSetWMIValue(t *testing.T) {
	tests := []struct {
		field string
		val   any
		want  any    // the field's value after assignment
		err   string // a substring of the error, "" for none
	}{
		{"S", "Dell Inc.", "Dell Inc.", ""},
		{"S", nil, "", ""},
		{"B", true, true, ""},
		{"B", nil, false, ""},
		{"U8", uint8(200), uint8(200), ""},
		{"I16", int16(-5), int16(-5), ""},
		{"U16", int32(3), uint16(3), ""},
		{"U16", int32(65535), uint16(65535), ""},
		{"I32", int32(-7), int32(-7), ""},
		{"U32", int32(1600), uint32(1600), ""},
		// VT_I4 carries a uint32: AdapterRAM of 4 GB minus 1 MB.
		{"U32", int32(-1048576), uint32(4293918720), ""},
		{"U64", int32(-1), uint64(4294967295), ""},
		{"I64", int32(-1), int64(-1), ""},
		{"U32", uint8(7), uint32(7), ""},
		{"U64", "17179869184", uint64(17179869184), ""},
		{"I64", "-3", int64(-3), ""},
		{"F64", int32(12), float64(12), ""},
		{"F64", float32(1.5), float64(1.5), ""},
		{"AU", []any{int32(3), int32(10)}, []uint16{3, 10}, ""},
		{"AI", []any{int32(3)}, []int32{3}, ""},
		{"AS", []any{"8.8.8.8", "1.1.1.1"}, []string{"8.8.8.8", "1.1.1.1"}, ""},
		{"AU", nil, []uint16(nil), ""},

		{"U32", "1600", nil, `cannot assign string "1600" to uint32`},
		{"U64", "12 GB", nil, `cannot assign string "12 GB" to uint64`},
		{"S", int32(5), nil, "cannot assign int32 5 to string"},
		{"B", int32(1), nil, "cannot assign int32 1 to bool"},
		{"U16", int32(-1), nil, "cannot assign int32 -1 to uint16"},
		{"U16", int32(70000), nil, "cannot assign int32 70000 to uint16"},
		{"U8", int32(256), nil, "cannot assign int32 256 to uint8"},
		{"U32", int16(-1), nil, "cannot assign integer -1 to uint32"},
		{"U32", float64(2.5), nil, "cannot assign float 2.5 to uint32"},
		{"S", []any{"a"}, nil, "cannot assign an array to string"},
		{"AU", int32(3), nil, "cannot assign int32 3 to []uint16"},
		{"AU", []any{int32(3), int32(-2)}, nil, "element 1: cannot assign int32 -2 to uint16"},
		{"S", map[string]any{}, nil, "unsupported value of type map[string]interface {}"},
	}
	for _, tt := range tests {
		var dst wmiTarget
		f := reflect.ValueOf(&dst).Elem().FieldByName(tt.field)
		err := setWMIValue(f, tt.val)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("setWMIValue(%s, %#v) = %v, want error %q", tt.field, tt.val, err, tt.err)
			}
		case err != nil:
			t.Errorf("setWMIValue(%s, %#v) = %v, want %#v", tt.field, tt.val, err, tt.want)
		case !reflect.DeepEqual(f.Interface(), tt.want):
			t.Errorf("setWMIValue(%s, %#v) set %#v, want %#v", tt.field, tt.val, f.Interface(), tt.want)
		}
	}
}

func TestWMIJSONValue(t *testing.T) {
	tests := []struct {
		field string
		json  string
		want  any
		err   string
	}{
		{"U32", `1600`, int32(1600), ""},
		{"U32", `4293918720`, int32(-1048576), ""}, // wraps, as VT_I4 does
		{"U32", `"1600"`, int32(1600), ""},         // wmic writes text
		{"U16", `3`, int32(3), ""},
		{"U8", `200`, uint8(200), ""},
		{"I16", `-5`, int16(-5), ""},
		{"U64", `17179869184`, "17179869184", ""},
		{"U64", `"17179869184"`, "17179869184", ""},
		{"S", `42`, "42", ""},
		{"F64", `1.5`, float64(1.5), ""},
		{"B", `true`, true, ""},
		{"B", `"TRUE"`, true, ""},
		{"B", `"False"`, false, ""},
		{"B", `"1"`, "1", ""}, // not wmic's boolean: left to fail
		{"U32", `"fast"`, "fast", ""},
		{"U32", `2.5`, float64(2.5), ""},
		{"S", `null`, nil, ""},
		{"AU", `[3, 10]`, []any{int32(3), int32(10)}, ""},
		{"AS", `["a"]`, []any{"a"}, ""},
		{"U32", `5000000000`, nil, "number 5000000000 does not fit the VT_I4"},
		{"U8", `300`, nil, "number 300 does not fit the VT_UI1"},
		{"S", `{"a": 1}`, nil, "unsupported JSON value"},
	}
	for _, tt := range tests {
		d := json.NewDecoder(strings.NewReader(tt.json))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
		sf, _ := reflect.TypeFor[wmiTarget]().FieldByName(tt.field)
		got, err := wmiJSONValue(sf.Type, v)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("wmiJSONValue(%s, %s) = %v, want error %q", tt.field, tt.json, err, tt.err)
			}
		case err != nil:
			t.Errorf("wmiJSONValue(%s, %s) = %v, want %#v", tt.field, tt.json, err, tt.want)
		case !reflect.DeepEqual(got, tt.want):
			t.Errorf("wmiJSONValue(%s, %s) = %#v, want %#v", tt.field, tt.json, got, tt.want)
		}
	}
}

// TestWMIFixtureStrict checks that the fixture reader fails where Windows
// would, naming class and property, and leaves absent properties zero.
func TestWMIFixtureStrict(t *testing.T) {
	dir := t.TempDir()
	write := func(class, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, class+".json"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Win32_Good", `[{"ChassisTypes": [3], "Speed": 4293918720, "Size": "64", "Name": null}]`)
	write("Win32_Bad", `[{"Speed": "fast"}]`)
	type inst struct {
		ChassisTypes []uint16
		Speed        uint32
		Size         uint64
		Name         string
		Missing      uint32
	}
	f := wmiFixture{dir: dir}
	var got []inst
	if err := f.Query("Win32_Good", "", &got); err != nil {
		t.Fatalf("Query(Win32_Good) = %v", err)
	}
	want := []inst{{ChassisTypes: []uint16{3}, Speed: 4293918720, Size: 64}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Query(Win32_Good) = %+v, want %+v", got, want)
	}
	err := f.Query("Win32_Bad", "", &got)
	if err == nil || !strings.Contains(err.Error(), `Win32_Bad.Speed: cannot assign string "fast" to uint32`) {
		t.Errorf("Query(Win32_Bad) = %v, want an error naming Win32_Bad.Speed", err)
	}
}
