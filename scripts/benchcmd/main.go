// Command benchcmd runs a command several times and prints the median and
// spread of its wall time and peak resident memory, measured by the kernel
// (rusage), so that end-to-end figures need no external tool.
//
//	benchcmd -n 15 -name agent -- ./bin/glpi-agentd inventory --local /tmp/x.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"time"
)

type result struct {
	Name     string  `json:"name"`
	Runs     int     `json:"runs"`
	WallMS   float64 `json:"wall_ms_median"`
	WallMin  float64 `json:"wall_ms_min"`
	WallMax  float64 `json:"wall_ms_max"`
	RSSMB    float64 `json:"peak_rss_mb_median"`
	RSSMaxMB float64 `json:"peak_rss_mb_max"`
}

func main() {
	n := flag.Int("n", 11, "number of measured runs")
	warm := flag.Int("warmup", 2, "unmeasured runs first")
	name := flag.String("name", "", "label for the output")
	asJSON := flag.Bool("json", false, "print JSON")
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: benchcmd [-n N] [-name NAME] -- command [args]")
		os.Exit(2)
	}
	if *name == "" {
		*name = args[0]
	}
	var walls, rss []float64
	for i := range *warm + *n {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Stdout, cmd.Stderr = nil, nil
		start := time.Now()
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "benchcmd: %s: %v\n", *name, err)
			os.Exit(1)
		}
		wall := time.Since(start)
		if i < *warm {
			continue
		}
		walls = append(walls, float64(wall.Microseconds())/1000)
		rss = append(rss, maxRSSMB(cmd.ProcessState))
	}
	slices.Sort(walls)
	slices.Sort(rss)
	r := result{Name: *name, Runs: *n, WallMS: walls[len(walls)/2], WallMin: walls[0], WallMax: walls[len(walls)-1],
		RSSMB: rss[len(rss)/2], RSSMaxMB: rss[len(rss)-1]}
	if *asJSON {
		json.NewEncoder(os.Stdout).Encode(r)
		return
	}
	fmt.Printf("%-28s wall %8.1f ms (min %.1f, max %.1f)   peak RSS %6.1f MB (max %.1f)   %d runs\n",
		r.Name, r.WallMS, r.WallMin, r.WallMax, r.RSSMB, r.RSSMaxMB, r.Runs)
}
