package glpi

import (
	"crypto/tls"

	"github.com/glpi-agentd/glpi-agentd/enroll/tlspin"
)

// tlsConfig builds the client's TLS settings with the agent's one trust
// policy (package tlspin): cfg.CAFile instead of the system roots, and
// public-key pins.
func tlsConfig(cfg Config, host string) (*tls.Config, error) {
	return tlspin.ClientConfig(tlspin.Config{Host: host, CAFile: cfg.CAFile, Pins: cfg.PinSHA256, InsecureSkipVerify: cfg.InsecureSkipVerify})
}
