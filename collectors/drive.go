package collectors

import "strings"

// Drive is one entry of the drives section: a mounted file system.
type Drive struct {
	Volumn string `json:"volumn,omitempty"`
	// Type is the mount point on Linux and macOS, as the official agent
	// sends it, and the kind of drive on Windows ("Local Disk").
	Type          string `json:"type,omitempty"`
	Filesystem    string `json:"filesystem,omitempty"`
	Total         int64  `json:"total,omitempty"`
	Free          int64  `json:"free,omitempty"`
	Serial        string `json:"serial,omitempty"`
	Label         string `json:"label,omitempty"`
	Letter        string `json:"letter,omitempty"`
	SystemDrive   bool   `json:"systemdrive,omitempty"`
	Description   string `json:"description,omitempty"`
	EncryptName   string `json:"encrypt_name,omitempty"`
	EncryptAlgo   string `json:"encrypt_algo,omitempty"`
	EncryptStatus string `json:"encrypt_status,omitempty"`
	EncryptType   string `json:"encrypt_type,omitempty"`
}

// pseudoFilesystems are the kernel's virtual file systems, which hold no
// data of their own and are left out, as df(1) leaves them out.
var pseudoFilesystems = map[string]bool{
	"autofs": true, "binfmt_misc": true, "bpf": true, "cgroup": true, "cgroup2": true,
	"configfs": true, "debugfs": true, "devpts": true, "devtmpfs": true, "efivarfs": true,
	"fusectl": true, "hugetlbfs": true, "mqueue": true, "nsfs": true, "proc": true,
	"pstore": true, "ramfs": true, "rpc_pipefs": true, "securityfs": true,
	"selinuxfs": true, "squashfs": true, "sysfs": true, "tmpfs": true, "tracefs": true,
}

// parseMounts parses /proc/<pid>/mounts and returns the real file systems,
// one per mount point (the last mount on a point hides the others), in
// mount order.
func parseMounts(s string) []Drive {
	var out []Drive
	index := make(map[string]int)
	for line := range strings.Lines(s) {
		f := strings.Fields(line)
		if len(f) < 3 || pseudoFilesystems[f[2]] {
			continue
		}
		d := Drive{Volumn: unescapeMount(f[0]), Type: unescapeMount(f[1]), Filesystem: f[2]}
		if i, ok := index[d.Type]; ok {
			out[i] = d
			continue
		}
		index[d.Type] = len(out)
		out = append(out, d)
	}
	return out
}

// unescapeMount decodes the octal escapes (\040 for a space) the kernel
// writes in mount table fields.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// unescapeUdev decodes the \x2f escapes udev writes in /dev/disk/by-label
// names.
func unescapeUdev(s string) string {
	if !strings.Contains(s, `\x`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' && isHex(s[i+2]) && isHex(s[i+3]) {
			b.WriteByte(unhex(s[i+2])<<4 | unhex(s[i+3]))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
