package glpi

import (
	"crypto/tls"

	"github.com/glpi-agentd/glpi-agentd/enroll/tlspin"
)

// tlsConfig builds the client's TLS settings with the agent's one trust
// policy (package tlspin): cfg.CAFile and cfg.CADir instead of the system
// roots, public-key pins, and the client certificate.
func tlsConfig(cfg Config, host string) (*tls.Config, error) {
	return tlspin.ClientConfig(tlspin.Config{
		Host: host, CAFile: cfg.CAFile, CADir: cfg.CADir, Pins: cfg.PinSHA256, InsecureSkipVerify: cfg.InsecureSkipVerify,
		CertFile: cfg.CertFile, KeyFile: cfg.KeyFile,
	})
}
