package collectors

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/yusufpapurcu/wmi"
	"golang.org/x/sys/windows"
	winreg "golang.org/x/sys/windows/registry"
)

// liveHost is this Windows machine.
var liveHost = winHost{wmi: liveWMI{}, reg: liveRegistry{}}

// liveHostFor is this machine for one collector run: ctx carries the run's
// deadline, and process owners are named with a cache of the run's own, so
// that a renamed account or a domain controller back online is seen on the
// next run.
func liveHostFor(ctx context.Context) winHost {
	h := liveHost
	h.ctx = ctx
	h.owners = &liveOwners{names: map[string]ownerName{}}
	return h
}

// liveOwners names the users of processes' access tokens.
type liveOwners struct {
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

// liveWMI queries WMI through COM.
type liveWMI struct{}

// wmiClient leaves fields zero for NULL properties and ignores struct
// fields the class does not have, instead of failing the whole query.
var wmiClient = &wmi.Client{NonePtrZero: true, PtrNil: true, AllowMissingFields: true}

// Query implements wmiSource.
func (liveWMI) Query(class, where string, dst any) error {
	namespace := `root\CIMV2`
	if ns, c, ok := strings.Cut(class, ":"); ok {
		namespace, class = ns, c
	}
	q := wmi.CreateQuery(dst, "", class)
	if where != "" {
		q += " WHERE " + where
	}
	err := wmiClient.Query(q, dst, nil, namespace)
	if _, mismatch := errors.AsType[*wmi.ErrFieldMismatch](err); mismatch {
		return nil
	}
	return err
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
