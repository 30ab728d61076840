package collectors

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// WMI values reach the collectors' structs in one way, whichever source
// read them. A source first turns each property into a neutral Go value,
// exactly as WMI's scripting interface (SWbemProperty.Value) hands it over:
//
//	CIM type              VARIANT      neutral value
//	string, datetime,     VT_BSTR      string
//	reference
//	uint64, sint64        VT_BSTR      string (decimal)
//	uint32, sint32,       VT_I4        int32 (a uint32 above 2^31-1 wraps
//	uint16                             to a negative int32)
//	sint16, sint8, char16 VT_I2        int16
//	uint8                 VT_UI1       uint8
//	boolean               VT_BOOL      bool
//	real32, real64        VT_R4, VT_R8 float32, float64
//	NULL                  VT_NULL      nil
//	arrays of the above   VT_ARRAY|…   []any of the element's value (so
//	                                   uint16[] is an array of int32)
//
// setWMIValue then assigns it to a struct field, with these rules and no
// others:
//
//   - nil leaves the field at its zero value.
//   - A string goes into a string field, and a decimal string into an
//     int64 or uint64 field (WMI's 64-bit integers) when it fits.
//   - A bool goes into a bool field.
//   - An integer goes into an integer field of any width that holds its
//     value (lossless), and into a float field. An int32 going into an
//     unsigned field of 32 bits or more is the uint32 it carries (WMI
//     hands uint32 over as VT_I4): -1 is 4294967295.
//   - A float goes into a float field.
//   - An array goes into a slice field, element by element by these rules
//     (so int32 elements fill a []uint16 or a []int32).
//
// Anything else, such as a string into an integer field, a negative value
// into a narrower unsigned field or a float into an integer field, is an
// error naming both types; the source adds the class and the property.

// loadWMIStruct fills the struct v from one instance of class. prop reads a
// property by field name: present is false when the class has no such
// property (an older Windows), which leaves the field zero; an error is a
// property the class has but could not be read, and fails the instance.
func loadWMIStruct(v reflect.Value, class string, prop func(name string, t reflect.Type) (val any, present bool, err error)) error {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		val, present, err := prop(sf.Name, sf.Type)
		if err != nil {
			return fmt.Errorf("read %s.%s: %w", class, sf.Name, err)
		}
		if !present {
			continue
		}
		if err := setWMIValue(v.Field(i), val); err != nil {
			return fmt.Errorf("%s.%s: %w", class, sf.Name, err)
		}
	}
	return nil
}

// setWMIValue assigns the neutral value val to f by the rules above.
func setWMIValue(f reflect.Value, val any) error {
	switch v := val.(type) {
	case nil:
		f.SetZero()
		return nil
	case string:
		return setWMIString(f, v)
	case bool:
		if f.Kind() != reflect.Bool {
			break
		}
		f.SetBool(v)
		return nil
	case int8:
		return setWMIInt(f, int64(v), false)
	case int16:
		return setWMIInt(f, int64(v), false)
	case int32:
		return setWMIInt(f, int64(v), true)
	case int64:
		return setWMIInt(f, v, false)
	case uint8:
		return setWMIUint(f, uint64(v))
	case uint16:
		return setWMIUint(f, uint64(v))
	case uint32:
		return setWMIUint(f, uint64(v))
	case uint64:
		return setWMIUint(f, v)
	case float32:
		return setWMIFloat(f, float64(v))
	case float64:
		return setWMIFloat(f, v)
	case []any:
		if f.Kind() != reflect.Slice {
			break
		}
		s := reflect.MakeSlice(f.Type(), len(v), len(v))
		for i, e := range v {
			if err := setWMIValue(s.Index(i), e); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
		f.Set(s)
		return nil
	default:
		return fmt.Errorf("unsupported value of type %T", val)
	}
	return wmiMismatch(val, f)
}

// wmiMismatch reports a value that the field cannot take.
func wmiMismatch(val any, f reflect.Value) error {
	if s, ok := val.(string); ok {
		return fmt.Errorf("cannot assign string %q to %s", s, f.Type())
	}
	if _, ok := val.([]any); ok {
		return fmt.Errorf("cannot assign an array to %s", f.Type())
	}
	return fmt.Errorf("cannot assign %T %v to %s", val, val, f.Type())
}

func setWMIString(f reflect.Value, s string) error {
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
		return nil
	case reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err == nil {
			f.SetInt(n)
			return nil
		}
	case reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, 64)
		if err == nil {
			f.SetUint(n)
			return nil
		}
	}
	return wmiMismatch(s, f)
}

// setWMIInt assigns a signed integer; fromI4 marks a VT_I4, which may carry
// a uint32.
func setWMIInt(f reflect.Value, n int64, fromI4 bool) error {
	switch f.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if !f.OverflowInt(n) {
			f.SetInt(n)
			return nil
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := uint64(n)
		if n < 0 {
			if !fromI4 || f.Type().Bits() < 32 {
				break
			}
			u = uint64(uint32(int32(n)))
		}
		if !f.OverflowUint(u) {
			f.SetUint(u)
			return nil
		}
	case reflect.Float32, reflect.Float64:
		f.SetFloat(float64(n))
		return nil
	}
	if fromI4 {
		return wmiMismatch(int32(n), f)
	}
	return fmt.Errorf("cannot assign integer %d to %s", n, f.Type())
}

func setWMIUint(f reflect.Value, u uint64) error {
	switch f.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if u <= math.MaxInt64 && !f.OverflowInt(int64(u)) {
			f.SetInt(int64(u))
			return nil
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if !f.OverflowUint(u) {
			f.SetUint(u)
			return nil
		}
	case reflect.Float32, reflect.Float64:
		f.SetFloat(float64(u))
		return nil
	}
	return fmt.Errorf("cannot assign integer %d to %s", u, f.Type())
}

func setWMIFloat(f reflect.Value, x float64) error {
	switch f.Kind() {
	case reflect.Float32, reflect.Float64:
		f.SetFloat(x)
		return nil
	}
	return fmt.Errorf("cannot assign float %v to %s", x, f.Type())
}

// wmiJSONValue turns a property of a JSON fixture (decoded with UseNumber)
// into the neutral value WMI scripting would hand over for a field of type
// t: a JSON number is taken as the CIM type the field's Go type stands for
// (a 64-bit integer or a string field: a uint64 or sint64, handed over as
// a decimal string; uint8: uint8; int8 and int16: int16; floats: real64;
// any other integer: uint32, uint16 or sint32, handed over as an int32).
// Captures made with wmic write every value as text: a JSON string in a
// number's field is read as that number, and TRUE or FALSE in a boolean's
// field as the boolean. Anything else stays as it is, so that a fixture
// whose values Windows would not hand over (a word in a number's field, a
// negative count) fails as the live query would.
func wmiJSONValue(t reflect.Type, v any) (any, error) {
	switch v := v.(type) {
	case nil, bool:
		return v, nil
	case string:
		switch t.Kind() {
		case reflect.Bool:
			if b, err := strconv.ParseBool(strings.ToLower(v)); err == nil && len(v) > 1 {
				return b, nil
			}
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32,
			reflect.Float32, reflect.Float64:
			if _, err := strconv.ParseFloat(v, 64); err == nil {
				return wmiJSONNumber(t, json.Number(v))
			}
		}
		return v, nil
	case json.Number:
		return wmiJSONNumber(t, v)
	case []any:
		et := t
		if t.Kind() == reflect.Slice {
			et = t.Elem()
		}
		out := make([]any, len(v))
		for i, e := range v {
			n, err := wmiJSONValue(et, e)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			out[i] = n
		}
		return out, nil
	default:
		return nil, fmt.Errorf("unsupported JSON value of type %T", v)
	}
}

func wmiJSONNumber(t reflect.Type, n json.Number) (any, error) {
	s := n.String()
	switch t.Kind() {
	case reflect.String, reflect.Int64, reflect.Uint64:
		return s, nil
	case reflect.Float32, reflect.Float64:
		return strconv.ParseFloat(s, 64)
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// A fraction or an exponent: a real, which no integer field takes.
		if x, ferr := strconv.ParseFloat(s, 64); ferr == nil {
			return x, nil
		}
		return nil, fmt.Errorf("number %s: %w", s, err)
	}
	switch t.Kind() {
	case reflect.Uint8:
		if i >= 0 && i <= math.MaxUint8 {
			return uint8(i), nil
		}
	case reflect.Int8, reflect.Int16:
		if i >= math.MinInt16 && i <= math.MaxInt16 {
			return int16(i), nil
		}
	default:
		if i >= math.MinInt32 && i <= math.MaxUint32 {
			return int32(i), nil // a uint32 wraps, as in a VT_I4
		}
	}
	return nil, fmt.Errorf("number %s does not fit the %s WMI would hand over for %s", s, wmiScriptingType(t), t)
}

// wmiScriptingType names the VARIANT type WMI scripting hands over for a
// field of type t.
func wmiScriptingType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Uint8:
		return "VT_UI1"
	case reflect.Int8, reflect.Int16:
		return "VT_I2"
	}
	return "VT_I4"
}
