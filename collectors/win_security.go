package collectors

import (
	"cmp"
	"context"
	"errors"
	"strings"
)

// productState decodes SecurityCenter2's AntiVirusProduct.productState the
// way GLPI's agent does: in its hexadecimal form, the second byte from the
// right is 0x1? when real-time protection is on, and the last byte is 00
// when the signatures are up to date.
func productState(state uint32) (enabled, uptodate bool) {
	return (state>>12)&0xF == 1, state&0xFF == 0
}

type antiVirusProduct struct {
	DisplayName, InstanceGuid, PathToSignedProductExe string
	ProductState                                      uint32
}

type mpComputerStatus struct {
	AMProductVersion, AntivirusSignatureVersion, AntivirusSignatureLastUpdated string
	AntivirusEnabled, AMServiceEnabled                                         bool
}

const (
	classAntiVirus  = `root\SecurityCenter2:AntiVirusProduct`
	classMpStatus   = `root\Microsoft\Windows\Defender:MSFT_MpComputerStatus`
	defenderName    = "Microsoft Defender Antivirus"
	microsoftCorp   = "Microsoft Corporation"
	regDefenderSigs = `SOFTWARE\Microsoft\Windows Defender\Signature Updates`
)

var defenderRe = lazyRE(`(?i)(Windows|Microsoft) Defender`)

// winAntivirus builds the antivirus section from the Security Center,
// which servers lack: there, Defender's own status is read. A namespace
// the host does not have is no antivirus; a query that fails is the
// collector's error, for GLPI deletes the antivirus of an inventory
// without the section.
func winAntivirus(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	products, err := queryWMI[antiVirusProduct](h.wmi, classAntiVirus, "")
	if err != nil && !errors.Is(err, errWMINoNamespace) {
		return nil, err
	}
	var out []Antivirus
	for _, p := range products {
		enabled, uptodate := productState(p.ProductState)
		av := Antivirus{Name: p.DisplayName, GUID: p.InstanceGuid, Enabled: enabled, Uptodate: &uptodate}
		if defenderRe.MatchString(p.DisplayName) {
			av.Company = microsoftCorp
			if enabled {
				defenderStatus(h, &av)
			}
		} else if s, ok := uninstallMatch(h.reg, p.DisplayName); ok {
			av.Version, av.Company = s.Version, s.Publisher
		}
		out = append(out, av)
	}
	if len(out) == 0 {
		st, err := queryWMI[mpComputerStatus](h.wmi, classMpStatus, "")
		if err != nil && !errors.Is(err, errWMINoNamespace) {
			return nil, err
		}
		if len(st) > 0 && st[0].AMServiceEnabled {
			av := Antivirus{Name: defenderName, Company: microsoftCorp, Enabled: st[0].AntivirusEnabled}
			defenderStatus(h, &av)
			out = append(out, av)
		}
	}
	if len(out) == 0 {
		return nil, NoData("no antivirus registered")
	}
	return out, nil
}

// defenderStatus completes a Defender entry with its version and
// signatures, from Defender's WMI provider, else from the registry.
func defenderStatus(h winHost, av *Antivirus) {
	st, _ := queryFirst[mpComputerStatus](h.wmi, classMpStatus)
	av.Version = st.AMProductVersion
	av.BaseVersion = cmp.Or(st.AntivirusSignatureVersion, regString(h.reg, hklm, regDefenderSigs, "AVSignatureVersion"))
	av.BaseCreation = cimDate(st.AntivirusSignatureLastUpdated)
}

// uninstallMatch finds the Uninstall entry of a product by the start of its
// name, for the version and publisher the Security Center does not give.
func uninstallMatch(reg registrySource, name string) (Software, bool) {
	prefix := strings.ToLower(strings.TrimSpace(name))
	if prefix == "" {
		return Software{}, false
	}
	for _, view := range []regView{view64, view32} {
		for _, key := range regSubKeys(reg, hklm, regUninstall, view) {
			s, ok := uninstallEntry(reg, hklm, regUninstall, key, view)
			if ok && strings.HasPrefix(strings.ToLower(s.Name), prefix) {
				return s, true
			}
		}
	}
	return Software{}, false
}

// firewallProfiles are the Windows Firewall profiles, by registry key.
var firewallProfiles = []string{"DomainProfile", "StandardProfile", "PublicProfile"}

const (
	regFirewallPolicy = `SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy`
	regFirewallGPO    = `SOFTWARE\Policies\Microsoft\WindowsFirewall`
)

// winFirewalls builds the firewalls section: each profile's state, a group
// policy setting overriding the local one, repeated for each address of
// the connected interfaces the profile applies on.
func winFirewalls(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	var out []Firewall
	conns := firewallConnections(h)
	for _, p := range firewallProfiles {
		local := openValues(h.reg, hklm, regFirewallPolicy+`\`+p, view64)
		gpo := openValues(h.reg, hklm, regFirewallGPO+`\`+p, view64)
		on, ok := gpo.num("EnableFirewall")
		if !ok {
			on, ok = local.num("EnableFirewall")
		}
		local.close()
		gpo.close()
		if !ok {
			continue
		}
		f := Firewall{Profile: p, Status: firewallOff}
		if on != 0 {
			f.Status = firewallOn
		}
		if len(conns[p]) == 0 {
			out = append(out, f)
		}
		for _, c := range conns[p] {
			c.Profile, c.Status = f.Profile, f.Status
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, NoData("no firewall profiles")
	}
	return out, nil
}
