// Command sqlcmd stands in for SQL Server's sqlcmd.exe in the test of the
// Windows build under Wine (wine_test.go): it checks that the arguments
// reached it whole through Windows' command line (the query holds quotes,
// brackets and the "|" separator), and answers as an instance named by its
// -S with one database.
package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
)

func main() {
	args := os.Args[1:]
	arg := func(flag string) string {
		if i := slices.Index(args, flag); i >= 0 && i+1 < len(args) {
			return args[i+1]
		}
		return ""
	}
	server, query := arg("-S"), arg("-Q")
	switch {
	case !slices.Contains(args, "-E"):
		fail("no -E: Windows authentication expected")
	case arg("-s") != "|" || arg("-h") != "-1" || arg("-f") != "o:65001":
		fail("separator %q, headers %q, code page %q", arg("-s"), arg("-h"), arg("-f"))
	case !strings.HasPrefix(query, "SET NOCOUNT ON; SELECT 'i', ") ||
		!strings.Contains(query, `N'SELECT ''u'', '`) || !strings.HasSuffix(query, "EXEC (@q);"):
		fail("query cut or changed on the way: %q", query)
	case !strings.HasPrefix(server, `.\`):
		fail("server %q, want a named instance", server)
	case server == `.\STOPPED`:
		fail("instance STOPPED asked, whose service is stopped")
	}
	name := strings.TrimPrefix(server, `.\`)
	fmt.Printf("i|16.0.1000.6|%s\r\nb|2026-12-01 08:00:00\r\n", name)
	fmt.Printf("p|C:\\Program Files\\Microsoft SQL Server\\MSSQL16.%s\\MSSQL\\DATA\\\r\n", name)
	fmt.Printf("d|1|0|2003-04-08 09:13:36|master\r\nd|5|0|2026-11-02 10:00:00|Ventes à l'export\r\n")
	fmt.Printf("s|1|800\r\ns|5|1280\r\nu|5|2026-12-06 18:30:00\r\n")
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "Sqlcmd: Error: "+format+"\n", a...)
	os.Exit(1)
}
