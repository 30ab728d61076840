package collectors

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/go-ole/go-ole"
	"github.com/go-ole/go-ole/oleutil"
	"golang.org/x/sys/windows"
	winreg "golang.org/x/sys/windows/registry"
)

// openWindows opens this machine's sources for one run. The run's WMI
// source learns the classes' properties and process owners are named with
// caches of the run's own, so that a class a provider changed, a renamed
// account or a domain controller back online is seen on the next run.
func openWindows(*Env) (winHost, error) {
	return winHost{
		wmi:    &liveWMI{},
		reg:    liveRegistry{},
		owners: &liveOwners{names: map[string]ownerName{}},
		files:  liveFiles{},
		smbios: liveSMBIOS{},
	}, nil
}

// liveSMBIOS reads this machine's SMBIOS table from the firmware tables
// Windows keeps (GetSystemFirmwareTable, provider "RSMB").
type liveSMBIOS struct{}

var procGetSystemFirmwareTable = windows.NewLazySystemDLL("kernel32.dll").NewProc("GetSystemFirmwareTable")

// SMBIOS implements smbiosSource. The table follows a RawSMBIOSData header:
// the calling method, the version (three bytes) and the table's length.
func (liveSMBIOS) SMBIOS() ([]byte, error) {
	const rsmb = 'R'<<24 | 'S'<<16 | 'M'<<8 | 'B'
	n, _, err := procGetSystemFirmwareTable.Call(rsmb, 0, 0, 0)
	if n == 0 {
		return nil, fmt.Errorf("read smbios table: %w", err)
	}
	buf := make([]byte, n)
	m, _, err := procGetSystemFirmwareTable.Call(rsmb, 0, uintptr(unsafe.Pointer(&buf[0])), n)
	switch {
	case m == 0:
		return nil, fmt.Errorf("read smbios table: %w", err)
	case m > n || m < 8:
		return nil, fmt.Errorf("read smbios table: %d bytes", m)
	}
	l := uint64(binary.LittleEndian.Uint32(buf[4:8]))
	if 8+l > uint64(m) {
		return nil, fmt.Errorf("read smbios table: length %d past its %d bytes", l, m-8)
	}
	if l == 0 {
		return nil, fmt.Errorf("read smbios table: %w", fs.ErrNotExist)
	}
	return buf[8 : 8+l], nil
}

// liveFiles reads this machine's files.
type liveFiles struct{}

func (liveFiles) ReadFile(path string) ([]byte, error)       { return os.ReadFile(path) }
func (liveFiles) ReadDir(path string) ([]fs.DirEntry, error) { return os.ReadDir(path) }
func (liveFiles) Stat(path string) (fs.FileInfo, error)      { return os.Stat(path) }

// liveOwners names the users of processes' access tokens.
type liveOwners struct {
	mu    sync.Mutex
	names map[string]ownerName // by SID
}

// ownerName is a cached LookupAccountSid answer.
type ownerName struct {
	acct winAccount
	ok   bool
}

// Owner implements processOwners. PROCESS_QUERY_LIMITED_INFORMATION is the
// least right that opens a token, and Windows grants it on protected
// processes too. The Idle process (PID 0), which has no token, and the
// processes the agent may not open (other users' when it runs neither as
// SYSTEM nor elevated, some protected ones) have no owner.
func (o *liveOwners) Owner(pid uint32) (winAccount, bool) {
	p, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return winAccount{}, false
	}
	defer windows.CloseHandle(p)
	var tok windows.Token
	if err := windows.OpenProcessToken(p, windows.TOKEN_QUERY, &tok); err != nil {
		return winAccount{}, false
	}
	defer tok.Close()
	tu, err := tok.GetTokenUser()
	if err != nil {
		return winAccount{}, false
	}
	sid := tu.User.Sid.String()
	o.mu.Lock()
	defer o.mu.Unlock()
	if n, ok := o.names[sid]; ok {
		return n.acct, n.ok
	}
	// A domain SID is named by a domain controller, which may be slow or
	// unreachable: each SID is looked up once per run, failures included.
	name, domain, _, err := tu.User.Sid.LookupAccount("")
	n := ownerName{acct: winAccount{Domain: domain, Name: name, SID: sid}, ok: err == nil}
	o.names[sid] = n
	return n.acct, n.ok
}

// liveWMI queries WMI through its scripting interface (SWbemLocator), on
// this machine ("." as the server: a nil server is refused by some WMI
// implementations). Properties are read through each object's
// Properties_ collection, the documented way that works on every WMI
// implementation, and converted by setWMIValue's rules (wmi_value.go).
type liveWMI struct {
	// schemas tells whether a class has a property, by lower-case
	// "namespace:class.property", for one run.
	schemas sync.Map // string → bool
}

// WMI scripting constants.
const (
	wbemFlagReturnImmediately = 0x10
	wbemFlagForwardOnly       = 0x20
	wbemENotFound             = 0x80041002
	wbemEInvalidNamespace     = 0x8004100E
	wbemEInvalidClass         = 0x80041010
	hresultSFalse             = 0x00000001
	hresultRPCChangedMode     = 0x80010106
)

// classLocks holds a mutex per WMI class path.
var classLocks sync.Map

// lockClass locks the queries of class path and returns the unlock.
func lockClass(path string) func() {
	m, _ := classLocks.LoadOrStore(strings.ToLower(path), new(sync.Mutex))
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// Query implements wmiSource. COM is initialised for the call on a thread
// of its own, so that every query works whatever the goroutine ran before.
func (w *liveWMI) Query(class, where string, dst any) error {
	namespace := `root\CIMV2`
	if ns, c, ok := strings.Cut(class, ":"); ok {
		namespace, class = ns, c
	}
	out := reflect.ValueOf(dst)
	if out.Kind() != reflect.Pointer || out.Elem().Kind() != reflect.Slice || out.Elem().Type().Elem().Kind() != reflect.Struct {
		return fmt.Errorf("destination %T is not a pointer to a slice of structs", dst)
	}
	// Queries of one class wait for each other: collectors that read the
	// same class (Win32_PnPEntity for USB devices and controllers) would
	// otherwise have the provider enumerate it twice at once, which costs
	// Windows twice the work and faults Wine's provider (0xC0000005).
	unlock := lockClass(namespace + ":" + class)
	defer unlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := ole.CoInitializeEx(0, ole.COINIT_MULTITHREADED); err != nil {
		var oe *ole.OleError
		switch {
		case errors.As(err, &oe) && oe.Code() == hresultSFalse:
			// Already initialised on this thread: still ours to balance.
			defer ole.CoUninitialize()
		case errors.As(err, &oe) && oe.Code() == hresultRPCChangedMode:
			// Initialised single-threaded by someone else: usable as is,
			// and not ours to uninitialise.
		default:
			return fmt.Errorf("initialise COM: %w", err)
		}
	} else {
		defer ole.CoUninitialize()
	}
	svc, err := wmiConnect(namespace)
	if err != nil {
		return err
	}
	defer svc.Release()
	et := out.Elem().Type().Elem()
	schema, err := w.schema(svc, namespace, class, wmiFields(et))
	if err != nil {
		return err
	}
	var selected []string
	for _, f := range wmiFields(et) {
		if p, ok := schema[strings.ToLower(f)]; ok {
			selected = append(selected, p)
		}
	}
	// Only the properties the class has are selected: a struct may name
	// properties that older versions of Windows lack.
	cols := "*"
	if len(selected) > 0 {
		cols = strings.Join(selected, ", ")
	}
	wql := "SELECT " + cols + " FROM " + class
	if where != "" {
		wql += " WHERE " + where
	}
	setV, err := oleutil.CallMethod(svc, "ExecQuery", wql, "WQL", wbemFlagReturnImmediately|wbemFlagForwardOnly)
	if err != nil {
		return fmt.Errorf("exec %q: %w", wql, wmiClassError(err))
	}
	defer setV.Clear()
	slice := reflect.MakeSlice(out.Elem().Type(), 0, 0)
	err = wmiForEach(setV.ToIDispatch(), func(obj *ole.IDispatch) error {
		ev := reflect.New(et).Elem()
		if err := wmiLoadObject(ev, class, obj, schema); err != nil {
			return err
		}
		slice = reflect.Append(slice, ev)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read %q: %w", wql, err)
	}
	out.Elem().Set(slice)
	return nil
}

// wmiConnect returns the SWbemServices of namespace on this machine.
func wmiConnect(namespace string) (*ole.IDispatch, error) {
	unknown, err := oleutil.CreateObject("WbemScripting.SWbemLocator")
	if err != nil {
		return nil, fmt.Errorf("create SWbemLocator: %w", wmiError(err))
	}
	defer unknown.Release()
	locator, err := unknown.QueryInterface(ole.IID_IDispatch)
	if err != nil {
		return nil, fmt.Errorf("create SWbemLocator: %w", err)
	}
	defer locator.Release()
	v, err := oleutil.CallMethod(locator, "ConnectServer", ".", namespace)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", namespace, wmiError(err))
	}
	svc := v.ToIDispatch()
	if svc == nil {
		v.Clear()
		return nil, fmt.Errorf("connect to %s: no SWbemServices", namespace)
	}
	// The VARIANT's reference becomes the caller's.
	return svc, nil
}

// schema tells which of fields class has, by lower-case name, from the
// class's definition. Answers are kept for the run.
func (w *liveWMI) schema(svc *ole.IDispatch, namespace, class string, fields []string) (map[string]string, error) {
	schema := map[string]string{}
	var unknown []string
	for _, f := range fields {
		id := strings.ToLower(namespace + ":" + class + "." + f)
		has, ok := w.schemas.Load(id)
		switch {
		case !ok:
			unknown = append(unknown, f)
		case has.(bool):
			schema[strings.ToLower(f)] = f
		}
	}
	if len(unknown) == 0 {
		return schema, nil
	}
	v, err := oleutil.CallMethod(svc, "Get", class)
	if err != nil {
		return nil, fmt.Errorf("get class %s: %w", class, wmiClassError(err))
	}
	defer v.Clear()
	props, err := oleutil.GetProperty(v.ToIDispatch(), "Properties_")
	if err != nil {
		return nil, fmt.Errorf("get class %s: properties: %w", class, wmiError(err))
	}
	defer props.Clear()
	for _, f := range unknown {
		item, err := oleutil.CallMethod(props.ToIDispatch(), "Item", f)
		has := err == nil
		if err == nil {
			item.Clear()
		} else if wmiSCode(err) != wbemENotFound {
			return nil, fmt.Errorf("get class %s: property %s: %w", class, f, wmiError(err))
		}
		w.schemas.Store(strings.ToLower(namespace+":"+class+"."+f), has)
		if has {
			schema[strings.ToLower(f)] = f
		}
	}
	return schema, nil
}

// wmiSCode returns the status of a failed call: the SCODE of the exception
// an automation object raised, else the HRESULT.
func wmiSCode(err error) uint32 {
	var oe *ole.OleError
	if !errors.As(err, &oe) {
		return 0
	}
	if ex, ok := oe.SubError().(ole.EXCEPINFO); ok && ex.SCODE() != 0 {
		return ex.SCODE()
	}
	return uint32(oe.Code())
}

// wmiError words a failed call with its status in hexadecimal, as WMI's
// documentation lists them (0x80041002 is WBEM_E_NOT_FOUND), and what the
// object said, if anything.
func wmiError(err error) error {
	var oe *ole.OleError
	if !errors.As(err, &oe) {
		return err
	}
	code := wmiSCode(err)
	msg := fmt.Sprintf("status 0x%08X", code)
	if d := strings.TrimSpace(oe.Description()); d != "" && d != "<nil>" {
		msg += ": " + d
	}
	return &wmiStatusError{code: code, msg: msg}
}

// wmiClassError is wmiError for a call that named a class (getting it,
// querying it), whose status may tell that the class does not exist.
func wmiClassError(err error) error {
	e := wmiError(err)
	if s, ok := e.(*wmiStatusError); ok {
		s.class = true
	}
	return e
}

// wmiStatusError is a failed WMI call, worded by wmiError.
type wmiStatusError struct {
	code  uint32
	msg   string
	class bool // the call named a class: getting it or querying it
}

func (e *wmiStatusError) Error() string { return e.msg }

// Is matches errWMINoNamespace to WBEM_E_INVALID_NAMESPACE, which
// ConnectServer returns for a namespace no provider installed, and
// errWMINoClass to what getting or querying a class Windows lacks returns:
// WBEM_E_NOT_FOUND or WBEM_E_INVALID_CLASS.
func (e *wmiStatusError) Is(target error) bool {
	switch target {
	case errWMINoNamespace:
		return e.code == wbemEInvalidNamespace
	case errWMINoClass:
		return e.class && (e.code == wbemENotFound || e.code == wbemEInvalidClass)
	}
	return false
}

// wmiForEach calls f with each object of a collection, released after f.
// An error of the enumeration itself (a query WMI runs lazily and fails
// late) is returned, not taken for the end.
func wmiForEach(coll *ole.IDispatch, f func(*ole.IDispatch) error) error {
	if coll == nil {
		return errors.New("no collection")
	}
	ev, err := coll.GetProperty("_NewEnum")
	if err != nil {
		return fmt.Errorf("enumerate: %w", err)
	}
	defer ev.Clear()
	enum, err := ev.ToIUnknown().IEnumVARIANT(ole.IID_IEnumVariant)
	if err != nil {
		return fmt.Errorf("enumerate: %w", err)
	}
	defer enum.Release()
	for {
		item, n, err := enum.Next(1)
		if n == 0 {
			var oe *ole.OleError
			if err == nil || (errors.As(err, &oe) && oe.Code() == hresultSFalse) {
				return nil
			}
			return fmt.Errorf("enumerate: %w", wmiError(err))
		}
		obj := item.ToIDispatch()
		if obj == nil {
			item.Clear()
			return fmt.Errorf("enumerate: item of type %s", item.VT)
		}
		err = f(obj)
		item.Clear()
		if err != nil {
			return err
		}
	}
}

// wmiLoadObject fills v from one SWbemObject through its Properties_.
func wmiLoadObject(v reflect.Value, class string, obj *ole.IDispatch, schema map[string]string) error {
	pv, err := oleutil.GetProperty(obj, "Properties_")
	if err != nil {
		return fmt.Errorf("read %s properties: %w", class, wmiError(err))
	}
	defer pv.Clear()
	props := pv.ToIDispatch()
	return loadWMIStruct(v, class, func(field string, _ reflect.Type) (any, bool, error) {
		name, ok := schema[strings.ToLower(field)]
		if !ok {
			return nil, false, nil
		}
		item, err := oleutil.CallMethod(props, "Item", name)
		if err != nil {
			return nil, true, wmiError(err)
		}
		defer item.Clear()
		val, err := oleutil.GetProperty(item.ToIDispatch(), "Value")
		if err != nil {
			return nil, true, wmiError(err)
		}
		defer val.Clear()
		n, err := variantValue(val)
		return n, true, err
	})
}

// variantValue converts a VARIANT to the neutral value of wmi_value.go.
func variantValue(v *ole.VARIANT) (any, error) {
	if v.VT&ole.VT_ARRAY != 0 {
		return safeArrayValues(uintptr(v.Val), v.VT&^ole.VT_ARRAY)
	}
	return scalarValue(v.VT, unsafe.Pointer(&v.Val))
}

// scalarValue reads a scalar of type vt at p: a VARIANT's data or an
// array's element.
func scalarValue(vt ole.VT, p unsafe.Pointer) (any, error) {
	switch vt {
	case ole.VT_EMPTY, ole.VT_NULL:
		return nil, nil
	case ole.VT_BSTR:
		return ole.BstrToString(*(**uint16)(p)), nil
	case ole.VT_BOOL:
		return *(*int16)(p) != 0, nil
	case ole.VT_I1:
		return *(*int8)(p), nil
	case ole.VT_I2:
		return *(*int16)(p), nil
	case ole.VT_I4, ole.VT_INT:
		return *(*int32)(p), nil
	case ole.VT_I8:
		return *(*int64)(p), nil
	case ole.VT_UI1:
		return *(*uint8)(p), nil
	case ole.VT_UI2:
		return *(*uint16)(p), nil
	case ole.VT_UI4, ole.VT_UINT:
		return *(*uint32)(p), nil
	case ole.VT_UI8:
		return *(*uint64)(p), nil
	case ole.VT_R4:
		return math.Float32frombits(*(*uint32)(p)), nil
	case ole.VT_R8:
		return math.Float64frombits(*(*uint64)(p)), nil
	case ole.VT_VARIANT:
		return variantValue((*ole.VARIANT)(p))
	}
	return nil, fmt.Errorf("unsupported VARIANT type %s", vt)
}

// SAFEARRAY functions of oleaut32, called directly: the conversions of
// go-ole read VARIANT_BOOL elements into a one-byte bool.
var (
	oleaut32                = windows.NewLazySystemDLL("oleaut32.dll")
	procSafeArrayGetDim     = oleaut32.NewProc("SafeArrayGetDim")
	procSafeArrayGetLBound  = oleaut32.NewProc("SafeArrayGetLBound")
	procSafeArrayGetUBound  = oleaut32.NewProc("SafeArrayGetUBound")
	procSafeArrayAccessData = oleaut32.NewProc("SafeArrayAccessData")
	procSafeArrayUnaccess   = oleaut32.NewProc("SafeArrayUnaccessData")
)

// elemSize is the size of an array element of each type scalarValue reads.
var elemSize = map[ole.VT]uintptr{
	ole.VT_BSTR: unsafe.Sizeof(uintptr(0)), ole.VT_BOOL: 2,
	ole.VT_I1: 1, ole.VT_I2: 2, ole.VT_I4: 4, ole.VT_INT: 4, ole.VT_I8: 8,
	ole.VT_UI1: 1, ole.VT_UI2: 2, ole.VT_UI4: 4, ole.VT_UINT: 4, ole.VT_UI8: 8,
	ole.VT_R4: 4, ole.VT_R8: 8, ole.VT_VARIANT: unsafe.Sizeof(ole.VARIANT{}),
}

// safeArrayValues reads a one-dimensional SAFEARRAY of elements of type vt.
func safeArrayValues(sa uintptr, vt ole.VT) (any, error) {
	if sa == 0 {
		return nil, nil
	}
	size, ok := elemSize[vt]
	if !ok {
		return nil, fmt.Errorf("unsupported array of VARIANT type %s", vt)
	}
	if dims, _, _ := procSafeArrayGetDim.Call(sa); dims != 1 {
		return nil, fmt.Errorf("unsupported array of %d dimensions", dims)
	}
	var lo, hi int32
	if hr, _, _ := procSafeArrayGetLBound.Call(sa, 1, uintptr(unsafe.Pointer(&lo))); hr != 0 {
		return nil, fmt.Errorf("array bounds: %w", ole.NewError(hr))
	}
	if hr, _, _ := procSafeArrayGetUBound.Call(sa, 1, uintptr(unsafe.Pointer(&hi))); hr != 0 {
		return nil, fmt.Errorf("array bounds: %w", ole.NewError(hr))
	}
	var data unsafe.Pointer
	if hr, _, _ := procSafeArrayAccessData.Call(sa, uintptr(unsafe.Pointer(&data))); hr != 0 {
		return nil, fmt.Errorf("array data: %w", ole.NewError(hr))
	}
	defer procSafeArrayUnaccess.Call(sa)
	out := make([]any, 0, max(int(hi)-int(lo)+1, 0))
	for i := range uintptr(max(int(hi)-int(lo)+1, 0)) {
		e, err := scalarValue(vt, unsafe.Add(data, i*size))
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// liveRegistry reads the registry.
type liveRegistry struct{}

// OpenKey implements registrySource.
func (liveRegistry) OpenKey(hive regHive, path string, view regView) (regKey, error) {
	root := winreg.LOCAL_MACHINE
	if hive == hku {
		root = winreg.USERS
	}
	access := uint32(winreg.QUERY_VALUE | winreg.ENUMERATE_SUB_KEYS | winreg.WOW64_64KEY)
	if view == view32 {
		access = winreg.QUERY_VALUE | winreg.ENUMERATE_SUB_KEYS | winreg.WOW64_32KEY
	}
	k, err := winreg.OpenKey(root, path, access)
	if errors.Is(err, windows.ERROR_FILE_NOT_FOUND) || errors.Is(err, winreg.ErrNotExist) {
		return nil, fmt.Errorf("open %s: %w", path, errKeyNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return liveKey{k}, nil
}

// liveKey is an open registry key.
type liveKey struct{ k winreg.Key }

// SubKeys implements regKey.
func (l liveKey) SubKeys() ([]string, error) { return l.k.ReadSubKeyNames(-1) }

// ValueNames implements regValueLister.
func (l liveKey) ValueNames() ([]string, error) { return l.k.ReadValueNames(-1) }

// String implements regKey.
func (l liveKey) String(name string) (string, bool) {
	s, _, err := l.k.GetStringValue(name)
	return s, err == nil
}

// Strings implements regKey.
func (l liveKey) Strings(name string) ([]string, bool) {
	s, _, err := l.k.GetStringsValue(name)
	return s, err == nil
}

// Integer implements regKey.
func (l liveKey) Integer(name string) (uint64, bool) {
	n, _, err := l.k.GetIntegerValue(name)
	return n, err == nil
}

// Binary implements regKey.
func (l liveKey) Binary(name string) ([]byte, bool) {
	b, _, err := l.k.GetBinaryValue(name)
	return b, err == nil
}

// Close implements regKey.
func (l liveKey) Close() error { return l.k.Close() }

// wmiFields lists the fields of a struct type that are WMI properties:
// every exported field, by name.
func wmiFields(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() {
			names = append(names, f.Name)
		}
	}
	return names
}
