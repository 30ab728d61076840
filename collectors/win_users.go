package collectors

import (
	"strconv"
	"strings"
)

// winLocalUsers builds the local_users section from the local accounts.
func winLocalUsers(h winHost) ([]LocalUser, error) {
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

// winLocalGroups builds the local_groups section from the local groups.
func winLocalGroups(h winHost) ([]LocalGroup, error) {
	type group struct{ Name, SID string }
	groups, err := queryWMI[group](h.wmi, "Win32_Group", "LocalAccount = TRUE")
	if err != nil {
		return nil, err
	}
	out := make([]LocalGroup, 0, len(groups))
	for _, g := range groups {
		out = append(out, LocalGroup{ID: g.SID, Name: g.Name})
	}
	return out, nil
}

// winUsers builds the users section: the user logged on the console.
func winUsers(h winHost) ([]User, error) {
	cs, err := queryWMI[win32ComputerSystem](h.wmi, "Win32_ComputerSystem", "")
	if err != nil {
		return nil, err
	}
	var out []User
	for _, c := range cs {
		if c.UserName == "" {
			continue
		}
		u := User{Login: c.UserName}
		if domain, login, ok := strings.Cut(c.UserName, `\`); ok {
			u = User{Login: login, Domain: domain}
		}
		out = append(out, u)
	}
	return out, nil
}

// winEnvironment builds the envs section from the system variables.
func winEnvironment(h winHost) ([]EnvVar, error) {
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

// winProcesses builds the processes section. WMI gives no owner without a
// method call per process, so the user is left empty.
func winProcesses(h winHost) ([]Process, error) {
	type process struct {
		Name, CommandLine, ExecutablePath, CreationDate string
		ProcessId                                       uint32
		WorkingSetSize, VirtualSize                     uint64
	}
	procs, err := queryWMI[process](h.wmi, "Win32_Process", "")
	if err != nil {
		return nil, err
	}
	total := queryFirst[win32ComputerSystem](h.wmi, "Win32_ComputerSystem").TotalPhysicalMemory
	out := make([]Process, 0, len(procs))
	for _, p := range procs {
		pr := Process{
			PID:           int(p.ProcessId),
			Cmd:           firstNonEmpty(p.CommandLine, p.ExecutablePath, p.Name),
			Started:       cimDateTime(p.CreationDate),
			VirtualMemory: int64(p.VirtualSize >> 10),
		}
		if total > 0 {
			pr.Mem = strconv.FormatFloat(100*float64(p.WorkingSetSize)/float64(total), 'f', 1, 64)
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
