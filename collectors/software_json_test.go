package collectors

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

// everyField returns a Software with every field set from s, i and b, so
// that a field AppendSoftwaresJSON does not write fails the comparison.
func everyField(s string, i int64, b bool) Software {
	var sw Software
	v := reflect.ValueOf(&sw).Elem()
	for f := range v.NumField() {
		switch fv := v.Field(f); fv.Kind() {
		case reflect.String:
			fv.SetString(fmt.Sprintf("%s%d", s, f))
		case reflect.Int64:
			fv.SetInt(i)
		case reflect.Bool:
			fv.SetBool(b)
		default:
			panic("Software has a field of kind " + fv.Kind().String() + ": teach AppendSoftwaresJSON and this test")
		}
	}
	return sw
}

func TestSoftwaresJSON(t *testing.T) {
	for _, list := range [][]Software{
		nil, {},
		{{Name: "bash"}, {Name: "libc6", Version: "2.36", Arch: "amd64", Filesize: 1 << 20, InstallDate: "2026-01-02"}},
		{everyField("x", -7, true), everyField("", 0, false)},
		{{Name: "<Acme & Co> \"tools\" \\ \b\f\n\r\t\x00\x1f\x7f é ☃ \u2028\u2029 \xff\xfe end"}},
	} {
		want, err := json.Marshal(list)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendSoftwaresJSON(nil, list); string(got) != string(want) {
			t.Errorf("AppendSoftwaresJSON =\n%s\nwant (json.Marshal)\n%s", got, want)
		}
	}
}

func FuzzSoftwaresJSON(f *testing.F) {
	f.Add("bash", "<&>\"\\\u2028\xff", int64(3), true)
	f.Fuzz(func(t *testing.T, name, s string, n int64, b bool) {
		list := []Software{{Name: name}, everyField(s, n, b)}
		want, _ := json.Marshal(list)
		if got := AppendSoftwaresJSON(nil, list); string(got) != string(want) {
			t.Errorf("AppendSoftwaresJSON = %s, json.Marshal %s", got, want)
		}
	})
}
