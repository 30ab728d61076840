package collectors

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// winLocalUsers builds the local_users section from the local accounts.
func winLocalUsers(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	type account struct{ Name, FullName, SID string }
	accts, err := queryWMI[account](h.wmi, "Win32_UserAccount", "LocalAccount = TRUE")
	if err != nil {
		return nil, err
	}
	out := make([]LocalUser, 0, len(accts))
	for _, a := range accts {
		out = append(out, LocalUser{
			ID:    a.SID,
			Login: a.Name,
			Name:  a.FullName,
			Home:  regString(h.reg, hklm, regProfileList+`\`+a.SID, "ProfileImagePath"),
		})
	}
	return out, nil
}

// winLocalGroups builds the local_groups section from the local groups and
// their members. Members are optional: a group whose member query fails, or
// comes after the time allowed for them, is reported without members.
func winLocalGroups(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	type group struct{ Name, Domain, SID string }
	groups, err := queryWMI[group](h.wmi, "Win32_Group", "LocalAccount = TRUE")
	if err != nil {
		return nil, err
	}
	ctx, cancel := optionalBudget(h.context())
	defer cancel()
	out := make([]LocalGroup, 0, len(groups))
	for _, g := range groups {
		lg := LocalGroup{ID: g.SID, Name: g.Name}
		if g.Domain != "" && ctx.Err() == nil {
			lg.Members, _ = winGroupMembers(ctx, h.wmi, g.Domain, g.Name)
		}
		out = append(out, lg)
	}
	return out, nil
}

// winGroupMembers lists the members of the local group domain\name. The
// query selects the group's associations only: enumerating every
// Win32_GroupUser instance on a domain member walks the domain's groups
// too, which can take minutes.
func winGroupMembers(ctx context.Context, w wmiSource, domain, name string) ([]string, error) {
	type groupUser struct{ PartComponent string }
	where := "GroupComponent = " + quoteEscaped(wmiInstancePath("Win32_Group", "Domain", domain, "Name", name), '"')
	links, err := queryWMIContext[groupUser](ctx, w, "Win32_GroupUser", where)
	if err != nil {
		return nil, err
	}
	var members []string
	for _, l := range links {
		m, ok := groupMemberName(l.PartComponent, domain)
		if ok && !slices.Contains(members, m) {
			members = append(members, m)
		}
	}
	return members, nil
}

// groupMemberName names the account a Win32_GroupUser PartComponent
// references (a Win32_UserAccount, Win32_Group or Win32_SystemAccount path)
// as winAccountName does; machine is the computer's name.
func groupMemberName(part, machine string) (string, bool) {
	p, ok := parseWMIObjectPath(part)
	if !ok || p.Keys["name"] == "" {
		return "", false
	}
	return winAccountName(winAccount{Domain: p.Keys["domain"], Name: p.Keys["name"]}, machine), true
}

// winAccountName renders an account as the official agent renders process
// owners: the bare name for accounts of this machine and of NT AUTHORITY
// (SYSTEM, LOCAL SERVICE), name@DOMAIN for the others (m.martin@CONTOSO,
// DWM-1@Window Manager). NT AUTHORITY is also recognized by its SIDs
// (S-1-5-<n>), as Windows translates its name ("AUTORITE NT").
func winAccountName(a winAccount, machine string) string {
	switch {
	case a.Domain == "",
		strings.EqualFold(a.Domain, machine),
		strings.EqualFold(a.Domain, "NT AUTHORITY"),
		ntAuthoritySID(a.SID):
		return a.Name
	}
	return a.Name + "@" + a.Domain
}

// ntAuthoritySID reports whether sid is one of NT AUTHORITY's own accounts,
// S-1-5 with one sub-authority: S-1-5-18 (SYSTEM), S-1-5-19, S-1-5-20.
func ntAuthoritySID(sid string) bool {
	rest, ok := strings.CutPrefix(sid, "S-1-5-")
	return ok && rest != "" && strings.Trim(rest, "0123456789") == ""
}

// winUsers builds the users section: the user logged on the console, else
// the last one to log on (winLastUser).
func winUsers(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := queryWMI[win32ComputerSystem](h.wmi, "Win32_ComputerSystem", "")
	if err != nil {
		return nil, fmt.Errorf("query Win32_ComputerSystem: %w", err)
	}
	u, ok := winLastUser(h, first(cs))
	if !ok {
		return nil, nil
	}
	return []User{u}, nil
}

// winEnvironment builds the envs section from the system variables.
func winEnvironment(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	type variable struct{ Name, VariableValue string }
	vars, err := queryWMI[variable](h.wmi, "Win32_Environment", "SystemVariable = TRUE")
	if err != nil {
		return nil, err
	}
	out := make([]EnvVar, 0, len(vars))
	for _, v := range vars {
		out = append(out, EnvVar{Key: v.Name, Val: v.VariableValue})
	}
	return out, nil
}

// winProcesses builds the processes section. WMI names a process's owner
// only through a method call per process, so owners come from the host's
// process owners instead; a process whose owner is unknown has no user.
func winProcesses(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	type process struct {
		Name, CommandLine, ExecutablePath, CreationDate string
		ProcessId                                       uint32
		WorkingSetSize, VirtualSize                     uint64
	}
	procs, err := queryWMI[process](h.wmi, "Win32_Process", "")
	if err != nil {
		return nil, err
	}
	cs, _ := queryFirst[win32ComputerSystem](h.wmi, "Win32_ComputerSystem")
	ctx, cancel := optionalBudget(h.context())
	defer cancel()
	out := make([]Process, 0, len(procs))
	for _, p := range procs {
		if p.ProcessId == 0 {
			continue // the System Idle Process: idle time, not a program
		}
		pr := Process{
			PID:           int(p.ProcessId),
			Cmd:           firstNonEmpty(p.CommandLine, p.ExecutablePath, p.Name),
			Started:       cimDateTime(p.CreationDate),
			VirtualMemory: int64(p.VirtualSize >> 10),
		}
		if h.owners != nil && ctx.Err() == nil {
			if a, ok := h.owners.Owner(p.ProcessId); ok {
				pr.User = winAccountName(a, cs.Name)
			}
		}
		if cs.TotalPhysicalMemory > 0 {
			pr.Mem = strconv.FormatFloat(100*float64(p.WorkingSetSize)/float64(cs.TotalPhysicalMemory), 'f', 1, 64)
		}
		out = append(out, pr)
	}
	return out, nil
}

// firstNonEmpty returns the first argument that is not blank.
func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
