package collectors

import (
	"context"
	"io"
	"os"
)

func init() { Register("antivirus", "antivirus", true, collectAntivirus) }

// antivirusProducts are the Linux antivirus products recognised by their
// install directory; enabled means one of the services starts at boot.
var antivirusProducts = []struct {
	name, company, path string
	services            []string
	versionFile         string // a KEY = value file holding PRODUCT_VERSION
}{
	{"Microsoft Defender for Endpoint", "Microsoft Corporation", "/opt/microsoft/mdatp", []string{"mdatp"}, ""},
	{"Sophos Protection for Linux", "Sophos", "/opt/sophos-spl", []string{"sophos-spl"}, "/opt/sophos-spl/base/VERSION.ini"},
	{"ESET Server Security", "ESET", "/opt/eset/efs", []string{"efs"}, ""},
	{"ESET Endpoint Antivirus", "ESET", "/opt/eset/eea", []string{"eea"}, ""},
	{"CrowdStrike Falcon Sensor", "CrowdStrike", "/opt/CrowdStrike", []string{"falcon-sensor"}, ""},
}

func collectAntivirus(_ context.Context, env *Env) (any, error) {
	var out []Antivirus
	if av, ok := clamAV(env); ok {
		out = append(out, av)
	}
	for _, p := range antivirusProducts {
		if !exists(env, p.path) {
			continue
		}
		av := Antivirus{Name: p.name, Company: p.company, Enabled: anyServiceEnabled(env, p.services...)}
		if p.versionFile != "" {
			av.Version = parseINIValue(env.ReadString(p.versionFile), "PRODUCT_VERSION")
		}
		out = append(out, av)
	}
	if len(out) == 0 {
		return nil, NoData("no antivirus")
	}
	return out, nil
}

// clamAV describes ClamAV when installed, with its signature database.
func clamAV(env *Env) (Antivirus, bool) {
	if !exists(env, "/usr/bin/clamscan") && !exists(env, "/usr/sbin/clamd") {
		return Antivirus{}, false
	}
	av := Antivirus{
		Name:    "ClamAV",
		Company: "Cisco",
		Enabled: anyServiceEnabled(env, "clamav-daemon", "clamd@scan", "clamd", "clamav-freshclam", "freshclam"),
	}
	for _, db := range []string{"/var/lib/clamav/daily.cld", "/var/lib/clamav/daily.cvd"} {
		b, err := readHead(env, db, 512)
		if err != nil {
			continue
		}
		version, built, err := parseCVDHeader(b)
		if err != nil {
			env.Log().Debug("bad ClamAV database", "path", db, "err", err)
			continue
		}
		fresh := env.Time().Sub(built) < clamDBMaxAge
		av.BaseVersion, av.BaseCreation, av.Uptodate = version, built.Format(dateLayout), &fresh
		break
	}
	return av, true
}

func anyServiceEnabled(env *Env, names ...string) bool {
	for _, n := range names {
		if serviceEnabled(env, n) {
			return true
		}
	}
	return false
}

// readHead reads the first n bytes of a host file, or less if it is shorter.
func readHead(env *Env, name string, n int) ([]byte, error) {
	f, err := os.Open(env.Path(name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	k, err := io.ReadFull(f, b)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return b[:k], err
}
