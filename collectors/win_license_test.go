package collectors

import (
	"errors"
	"slices"
	"testing"
)

func TestLicenseStatus(t *testing.T) {
	for _, tc := range []struct {
		status uint32
		want   string
		grace  bool
	}{
		{0, "Unlicensed", false},
		{1, "Licensed", false},
		{2, "Initial grace period", true},
		{3, "Additional grace period", true},
		{4, "Non-genuine grace period", true},
		{5, "Notification", false},
		{6, "Extended grace period", true},
		{7, "", false},
		{1 << 31, "", false},
	} {
		if got := licenseStatus(tc.status); got != tc.want {
			t.Errorf("licenseStatus(%d) = %q, want %q", tc.status, got, tc.want)
		}
		if got := licenseGrace(tc.status); got != tc.grace {
			t.Errorf("licenseGrace(%d) = %v, want %v", tc.status, got, tc.grace)
		}
	}
}

func TestLicenseKey(t *testing.T) {
	for in, want := range map[string]string{
		"3V66T": "XXXXX-XXXXX-XXXXX-XXXXX-3V66T",
		"":      "",
		"ABC":   "ABC",
	} {
		if got := licenseKey(in); got != want {
			t.Errorf("licenseKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLicenseEntry(t *testing.T) {
	const office = "0ff1ce15-a989-479d-af46-f275c6370663"
	for _, tc := range []struct {
		name string
		in   softwareLicensingProduct
		want LicenseInfo
	}{
		{"oem licensed",
			softwareLicensingProduct{Name: "Windows(R), Professional edition", Description: "Windows(R) Operating System, OEM_DM channel",
				ApplicationID: windowsAppID, LicenseFamily: "Professional", PartialProductKey: "3V66T", ProductKeyChannel: "OEM:DM",
				ProductKeyID2: "00330-80000-00000-AA999", LicenseStatus: 1},
			LicenseInfo{Name: "Windows(R), Professional edition", FullName: "Windows(R) Operating System, OEM_DM channel (Licensed)",
				Key: "XXXXX-XXXXX-XXXXX-XXXXX-3V66T", ProductID: "00330-80000-00000-AA111"}},
		{"kms client counting down is no trial",
			softwareLicensingProduct{Description: "Windows(R) Operating System, VOLUME_KMSCLIENT channel", ApplicationID: windowsAppID,
				LicenseFamily: "Enterprise", PartialProductKey: "2YT43", LicenseStatus: 1, GracePeriodRemaining: 259200},
			LicenseInfo{FullName: "Windows(R) Operating System, VOLUME_KMSCLIENT channel (Licensed)", Key: "XXXXX-XXXXX-XXXXX-XXXXX-2YT43"}},
		{"initial grace",
			softwareLicensingProduct{Description: "Windows(R) Operating System, RETAIL channel", ApplicationID: windowsAppID,
				LicenseFamily: "ServerDatacenter", PartialProductKey: "WX4NM", LicenseStatus: 2, GracePeriodRemaining: 43200},
			LicenseInfo{FullName: "Windows(R) Operating System, RETAIL channel (Initial grace period)", Key: "XXXXX-XXXXX-XXXXX-XXXXX-WX4NM",
				Trial: true}},
		{"notification after grace",
			softwareLicensingProduct{Description: "Windows(R) Operating System, RETAIL channel", ApplicationID: windowsAppID,
				PartialProductKey: "WX4NM", LicenseStatus: 5},
			LicenseInfo{FullName: "Windows(R) Operating System, RETAIL channel (Notification)", Key: "XXXXX-XXXXX-XXXXX-XXXXX-WX4NM"}},
		{"evaluation",
			softwareLicensingProduct{Description: "Windows(R) Operating System, TIMEBASED_EVAL channel", ApplicationID: windowsAppID,
				PartialProductKey: "QDTV7", ProductKeyChannel: "Retail:TB:Eval", LicenseStatus: 1, GracePeriodRemaining: 256000},
			LicenseInfo{FullName: "Windows(R) Operating System, TIMEBASED_EVAL channel (Licensed)", Key: "XXXXX-XXXXX-XXXXX-XXXXX-QDTV7",
				Trial: true}},
		{"add-on keeps its own product id",
			softwareLicensingProduct{Name: "Windows(R), Client-ESU-Year1 add-on for Education,Enterprise,Professional", ApplicationID: windowsAppID,
				LicenseFamily: "Client-ESU-Year1", PartialProductKey: "K9M3Q", ProductKeyID2: "00329-00000-00003-AA555", LicenseStatus: 1},
			LicenseInfo{Name: "Windows(R), Client-ESU-Year1 add-on for Education,Enterprise,Professional", FullName: "(Licensed)",
				Key: "XXXXX-XXXXX-XXXXX-XXXXX-K9M3Q", ProductID: "00329-00000-00003-AA555"}},
		{"office unlicensed",
			softwareLicensingProduct{Name: "Office 21, Office21ProPlus2021VL_KMS_Client_AE edition", Description: "Office 21, VOLUME_KMSCLIENT channel",
				ApplicationID: office, LicenseFamily: "Professional", PartialProductKey: "6F7TH", ProductKeyID2: "00356-20000-00000-AA000"},
			LicenseInfo{Name: "Office 21, Office21ProPlus2021VL_KMS_Client_AE edition", FullName: "Office 21, VOLUME_KMSCLIENT channel (Unlicensed)",
				Key: "XXXXX-XXXXX-XXXXX-XXXXX-6F7TH", ProductID: "00356-20000-00000-AA000"}},
		{"unknown status",
			softwareLicensingProduct{Description: "Office 21, RETAIL channel", ApplicationID: office, PartialProductKey: "ABCDE", LicenseStatus: 9},
			LicenseInfo{FullName: "Office 21, RETAIL channel", Key: "XXXXX-XXXXX-XXXXX-XXXXX-ABCDE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := licenseEntry(tc.in, "00330-80000-00000-AA111", "professional"); got != tc.want {
				t.Errorf("licenseEntry(%+v) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestWinLicenses(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []LicenseInfo
	}{
		{"laptop", []LicenseInfo{
			{Name: "Windows(R), Professional edition", FullName: "Windows(R) Operating System, OEM_DM channel (Licensed)",
				Key: "XXXXX-XXXXX-XXXXX-XXXXX-8HVX7", ProductID: "00330-80000-00000-AA452"},
		}},
		{"desktop", []LicenseInfo{
			{Name: "Windows(R), Enterprise edition", FullName: "Windows(R) Operating System, VOLUME_KMSCLIENT channel (Licensed)",
				Key: "XXXXX-XXXXX-XXXXX-XXXXX-2YT43", ProductID: "00329-00000-00003-AA066"},
			{Name: "Office 21, Office21ProPlus2021VL_KMS_Client_AE edition", FullName: "Office 21, VOLUME_KMSCLIENT channel (Licensed)",
				Key: "XXXXX-XXXXX-XXXXX-XXXXX-6F7TH", ProductID: "00356-20000-00000-AA871"},
		}},
		{"server", []LicenseInfo{
			{Name: "Windows(R), ServerStandard edition", FullName: "Windows(R) Operating System, RETAIL channel (Initial grace period)",
				Key: "XXXXX-XXXXX-XXXXX-XXXXX-7JT2V", Trial: true, ProductID: "00454-40000-00001-AA596"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := winFixture("testdata/windows/" + tc.name)
			if err != nil {
				t.Fatal(err)
			}
			got, err := winLicenses(h)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("winLicenses(%s) = %+v, want %+v", tc.name, got, tc.want)
			}
		})
	}
	h, err := winFixture(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := winLicenses(h); !errors.Is(err, ErrNoData) {
		t.Errorf("winLicenses(empty machine) error = %v, want ErrNoData", err)
	}
}
