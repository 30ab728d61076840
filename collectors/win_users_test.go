package collectors

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// stubWMI answers queries from a fixture machine, except those hook takes:
// hook returns handled=false to pass a query on.
type stubWMI struct {
	wmiSource
	hook func(class, where string) (handled bool, err error)
}

func (s stubWMI) Query(class, where string, dst any) error {
	if handled, err := s.hook(class, where); handled {
		return err
	}
	return s.wmiSource.Query(class, where, dst)
}

func laptopHost(t *testing.T) winHost {
	t.Helper()
	h, err := winFixture("testdata/windows/laptop")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestWinLocalGroupsMemberQueryFails(t *testing.T) {
	h := laptopHost(t)
	h.wmi = stubWMI{h.wmi, func(class, _ string) (bool, error) {
		return class == "Win32_GroupUser", errors.New("0x80041003 access denied")
	}}
	groups, err := collectWin[[]LocalGroup](t, winLocalGroups, h)
	if err != nil {
		t.Fatalf("winLocalGroups: %v", err)
	}
	want := []LocalGroup{{ID: "S-1-5-32-544", Name: "Administrateurs"}, {ID: "S-1-5-32-545", Name: "Utilisateurs"}}
	if !slices.EqualFunc(groups, want, equalGroups) {
		t.Errorf("winLocalGroups = %+v, want %+v", groups, want)
	}
}

func TestWinLocalGroupsQueryFails(t *testing.T) {
	h := laptopHost(t)
	h.wmi = stubWMI{h.wmi, func(class, _ string) (bool, error) {
		return class == "Win32_Group", errors.New("0x80041003 access denied")
	}}
	if groups, err := collectWin[[]LocalGroup](t, winLocalGroups, h); err == nil {
		t.Errorf("winLocalGroups = %+v, nil error; want the Win32_Group error", groups)
	}
}

// TestWinLocalGroupsSlowMembers checks that a member query that hangs, as
// on a domain member whose controller is unreachable, costs that group its
// members and leaves time to return the section before the deadline.
func TestWinLocalGroupsSlowMembers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		h := laptopHost(t)
		h.wmi = stubWMI{h.wmi, func(class, where string) (bool, error) {
			if class == "Win32_GroupUser" && strings.Contains(where, "Utilisateurs") {
				<-release
				return true, errors.New("released")
			}
			return false, nil
		}}
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		h.ctx = ctx
		start := time.Now()
		groups, err := collectWin[[]LocalGroup](t, winLocalGroups, h)
		if err != nil {
			t.Fatalf("winLocalGroups: %v", err)
		}
		if d := time.Since(start); d != 15*time.Second {
			t.Errorf("winLocalGroups returned after %v, want 15s (3/4 of the time left)", d)
		}
		want := []LocalGroup{
			{ID: "S-1-5-32-544", Name: "Administrateurs", Members: []string{"Administrateur", "jdupont"}},
			{ID: "S-1-5-32-545", Name: "Utilisateurs"},
		}
		if !slices.EqualFunc(groups, want, equalGroups) {
			t.Errorf("winLocalGroups = %+v, want %+v", groups, want)
		}
	})
}

func equalGroups(a, b LocalGroup) bool {
	return a.ID == b.ID && a.Name == b.Name && slices.Equal(a.Members, b.Members)
}

func TestWinProcessOwners(t *testing.T) {
	users := func(ps []Process) map[int]string {
		m := map[int]string{}
		for _, p := range ps {
			m[p.PID] = p.User
		}
		return m
	}
	h := laptopHost(t)
	ps, err := collectWin[[]Process](t, winProcesses, h)
	if err != nil {
		t.Fatal(err)
	}
	// The System Idle Process (pid 0) is left out, as the official agent does.
	want := map[int]string{4: "Système", 1188: "DWM-1@Window Manager", 2456: "SERVICE LOCAL", 3904: "", 6412: "jdupont"}
	if got := users(ps); !maps.Equal(got, want) {
		t.Errorf("process users = %v, want %v", got, want)
	}

	for name, h := range map[string]winHost{
		"no owners":     {wmi: h.wmi, reg: h.reg},
		"no time left":  {wmi: h.wmi, reg: h.reg, owners: h.owners, ctx: cancelled()},
		"access denied": {wmi: h.wmi, reg: h.reg, owners: ownerFixture{}},
	} {
		ps, err := collectWin[[]Process](t, winProcesses, h)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(ps) != len(want) {
			t.Errorf("%s: %d processes, want %d", name, len(ps), len(want))
		}
		for pid, u := range users(ps) {
			if u != "" {
				t.Errorf("%s: process %d user = %q, want empty", name, pid, u)
			}
		}
	}
}

func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
