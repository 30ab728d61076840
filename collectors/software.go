package collectors

import "strings"

// Software is one entry of the softwares section.
type Software struct {
	Name            string `json:"name"`
	Version         string `json:"version,omitempty"`
	Arch            string `json:"arch,omitempty"`
	Publisher       string `json:"publisher,omitempty"`
	Comments        string `json:"comments,omitempty"`
	Filesize        int64  `json:"filesize,omitempty"`
	From            string `json:"from,omitempty"`
	InstallDate     string `json:"install_date,omitempty"`
	SystemCategory  string `json:"system_category,omitempty"`
	URLInfoAbout    string `json:"url_info_about,omitempty"`
	GUID            string `json:"guid,omitempty"`
	UninstallString string `json:"uninstall_string,omitempty"`
	Folder          string `json:"folder,omitempty"`
	HelpLink        string `json:"helplink,omitempty"`
	ReleaseType     string `json:"release_type,omitempty"`
	NoRemove        bool   `json:"no_remove,omitempty"`
	VersionMajor    string `json:"version_major,omitempty"`
	VersionMinor    string `json:"version_minor,omitempty"`
	UserName        string `json:"username,omitempty"`
	UserID          string `json:"userid,omitempty"`
}

// distributor names the publisher of a distribution's packages the way
// lsb_release -i does ("Debian", "Ubuntu"), from os-release's ID.
func distributor(id string) string {
	if id == "" {
		return ""
	}
	return strings.ToUpper(id[:1]) + id[1:]
}
