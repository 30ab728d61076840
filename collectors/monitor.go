package collectors

// Monitor is one display of the monitors section.
type Monitor struct {
	Base64       string `json:"base64,omitempty"`
	Caption      string `json:"caption,omitempty"`
	Description  string `json:"description,omitempty"`
	Manufacturer string `json:"manufacturer,omitempty"`
	Serial       string `json:"serial,omitempty"`
	AltSerial    string `json:"altserial,omitempty"`
	Port         string `json:"port,omitempty"`
	Name         string `json:"name,omitempty"`
}
