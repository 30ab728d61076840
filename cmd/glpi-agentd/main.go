// Command glpi-agentd is the GLPI endpoint agent: a daemon that inventories
// its machine and sends it to GLPI, directly or through glpi-enrolld.
package main

import (
	"os"

	"github.com/glpi-agentd/glpi-agentd/agent/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
