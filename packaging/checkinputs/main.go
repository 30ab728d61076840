// Command checkinputs checks what `make package` is asked to embed in the
// agent's packages, before anything is built, and refuses a package that
// could never enroll: a registration key file that holds no key, a key
// without a server, a key bound for a remote plain http:// server (the
// agent never sends it there), or a TAG beside a key (the service gives
// enrolled devices the key's tag, never the package's).
//
// It reads SERVER, TAG and REGISTRATION_KEY_FILE from the environment, as
// scripts/package.sh gets them, and prints two lines: the server to embed
// (a bundle's own when SERVER is empty), and the label that tells keyed
// packages from base ones in their file names ("key-<key id>", or
// "server-<host>" for a server without a key; empty for a base package).
package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"

	"github.com/glpi-agentd/glpi-agentd/agent/config"
	"github.com/glpi-agentd/glpi-agentd/enroll"
)

func main() {
	server, label, err := check(os.Getenv("SERVER"), os.Getenv("TAG"), os.Getenv("REGISTRATION_KEY_FILE"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "package:", err)
		os.Exit(1)
	}
	fmt.Println(server)
	fmt.Println(label)
}

func check(server, tag, keyFile string) (string, string, error) {
	var keyID, bundleURL string
	if keyFile != "" {
		b, err := os.ReadFile(keyFile)
		if err != nil {
			return "", "", fmt.Errorf("read REGISTRATION_KEY_FILE: %w", err)
		}
		s := strings.TrimSpace(string(b))
		switch {
		case s == "":
			return "", "", fmt.Errorf("REGISTRATION_KEY_FILE %s is empty", keyFile)
		case strings.HasPrefix(s, enroll.BundlePrefix):
			bundle, err := enroll.ParseBundle(s)
			if err != nil {
				return "", "", fmt.Errorf("REGISTRATION_KEY_FILE %s: %w", keyFile, err)
			}
			k, _ := enroll.ParseKey(bundle.Key) // ParseBundle checked it
			keyID, bundleURL = k.ID, bundle.URL
		default:
			k, err := enroll.ParseKey(s)
			if err != nil {
				// The error never quotes the file: it may hold a key mistyped by one character.
				return "", "", fmt.Errorf("REGISTRATION_KEY_FILE %s holds no registration key (%w): make one with `glpi-enrolld key create --output FILE`", keyFile, err)
			}
			keyID = k.ID
		}
	}
	if bundleURL != "" {
		if server == "" {
			server = bundleURL
		} else if strings.TrimRight(server, "/") != strings.TrimRight(bundleURL, "/") {
			return "", "", fmt.Errorf("SERVER %s is not the server of the bundle in REGISTRATION_KEY_FILE (%s): drop SERVER or make the bundle for it", server, bundleURL)
		}
	}
	var host string
	if server != "" {
		u, err := config.ServerURL(server)
		if err != nil {
			return "", "", fmt.Errorf("SERVER: %w", err)
		}
		if !strings.Contains(server, "://") {
			return "", "", fmt.Errorf("SERVER %q: give the scheme, https:// or http://", server)
		}
		host = u.Hostname()
		if keyID != "" && u.Scheme == "http" && !loopback(host) {
			return "", "", fmt.Errorf("SERVER %s is plain http to a remote host: the agent never sends a registration key there, so this package could never enroll: use the https:// URL of glpi-enrolld", server)
		}
	}
	if keyID != "" && server == "" {
		return "", "", errors.New("REGISTRATION_KEY_FILE without SERVER: the agent would not know where to enroll: set SERVER to the glpi-enrolld URL (or use a bundle, `glpi-enrolld key create --bundle`)")
	}
	if keyID != "" && tag != "" {
		return "", "", errors.New("TAG with a registration key: an enrolled device gets the tag of its key, never the package's: drop TAG, or make a key with that tag (`glpi-enrolld key create --tag TAG`)")
	}
	switch {
	case keyID != "":
		return server, "key-" + keyID, nil
	case server != "":
		return server, "server-" + unsafeChars.ReplaceAllString(host, "_"), nil
	case tag != "":
		return server, "tag-" + unsafeChars.ReplaceAllString(tag, "_"), nil
	}
	return "", "", nil
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9.-]`)

// loopback is the agent's rule (enroll.NewClient): plain http is for this
// machine only.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
