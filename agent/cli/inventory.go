package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/glpi-agentd/glpi-agentd/agent"
	"github.com/glpi-agentd/glpi-agentd/collectors"
)

func cmdInventory(g *globals, args []string) error {
	fs := g.flags("inventory", "")
	local := fs.String("local", "", "write the inventory to `path` (a file, a directory, or - for standard output) instead of sending it")
	server := fs.String("server", "", "send to this server `URL` (overrides the configuration)")
	tag := fs.String("tag", "", "inventory `tag` (overrides the configuration)")
	categories := fs.String("category", "", "collect only these categories (comma-separated `list`), as a partial inventory")
	full := fs.Bool("full", false, "send a full inventory even if a partial one would do")
	asJSON := fs.Bool("json", false, "print the run's summary as JSON")
	keyFile := fs.String("key-file", "", "registration key `file` for glpi-enrolld (- for standard input)")
	deadline := fs.Duration("deadline", defaultDeadline, "give up the whole run after this `duration` (each request is still bounded by timeout)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	a, cfg, closeFn, err := g.setup()
	if err != nil {
		return err
	}
	defer closeFn()
	if *server != "" {
		cfg.Server, cfg.Local = *server, ""
	}
	if *local != "" {
		cfg.Local = *local
	}
	if *tag != "" {
		cfg.Tag = *tag
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := g.applyKey(a, *keyFile); err != nil {
		return err
	}
	a.AdoptOfficialSettings(true)
	if cfg.Local == "" && cfg.Server == "" && !enrolledSomewhere(a) {
		return errNowhere
	}

	ctx, cancel := signalContext()
	defer cancel()
	if *deadline > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeout(ctx, *deadline)
		defer stop()
	}
	a.WarnInsecure()
	req := agent.Request{Full: *full, Force: true, Categories: splitFlag(*categories)}
	out := g.stdout
	if cfg.Local == "-" {
		out = g.stderr // standard output carries the inventory
	}
	if isTerminal(g.stderr) && !*asJSON {
		req.Progress = progressPrinter(g.stderr)
	}
	rep, err := a.RunOnce(ctx, req)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("no result within --deadline %s (a server that takes connections but does not answer, or keeps asking to retry): %w", *deadline, err)
	}
	if rep != nil {
		// A failed run still says what each collector did.
		if *asJSON {
			if jerr := printJSONSummary(out, rep, err); jerr != nil {
				return jerr
			}
		} else {
			// A terminal saw each collector as it finished: no second table.
			printSummary(out, rep, req.Progress == nil)
		}
	}
	return err
}

// enrolledSomewhere reports an agent whose enrollment, or whose key's
// bundle, names the enrollment service: it needs no server setting.
func enrolledSomewhere(a *agent.Agent) bool {
	if e, _ := a.Enrollment(); e != nil && e.Server != "" {
		return true
	}
	_, keyed, server := a.Pending()
	return keyed && server != ""
}

// errNowhere is inventory's answer when no target is configured.
var errNowhere = errors.New("nowhere to send the inventory: give --local PATH or --server URL, or set server in the configuration")

// defaultDeadline bounds a one-shot run: every request has its own
// timeout (the official agent's, 180 s by default) and is retried, so a
// server that accepts and never answers would otherwise hold the command
// for over ten minutes.
const defaultDeadline = 5 * time.Minute

// progressPrinter shows each step as it happens.
func progressPrinter(w io.Writer) func(agent.Event) {
	var mu sync.Mutex
	return func(e agent.Event) {
		mu.Lock()
		defer mu.Unlock()
		if r := e.Collector; r != nil {
			status := fmt.Sprintf("%d", r.Items)
			if r.Failed() {
				status = "failed"
			} else if r.Err != nil {
				status = "-"
			}
			fmt.Fprintf(w, "  %-16s %8s %6s\n", r.Name, fmtDuration(r.Duration), status)
			return
		}
		fmt.Fprintf(w, "%s\n", e.Message)
	}
}

func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return d.Round(10 * time.Millisecond).String()
}

// printSummary prints a readable account of the run: sections, counts,
// timings (the table of collectors unless it was shown as they finished),
// and what the server said.
func printSummary(w io.Writer, rep *agent.Report, table bool) {
	if rep.Inventory != nil {
		fmt.Fprintf(w, "Inventory %s: %s, %d sections, %s\n", rep.Inventory.DeviceID, kindOf(rep.Partial), rep.Sections, fmtDuration(rep.Elapsed))
	}
	if table && len(rep.Results) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  CATEGORY\tSECTION\tITEMS\tTIME\tNOTE")
		for _, r := range rep.Results {
			items, note := fmt.Sprint(r.Items), ""
			if r.Err != nil {
				items, note = "-", r.Err.Error()
				if r.Failed() {
					note = "FAILED: " + note
				}
			}
			if c, ok := carriedOf(rep, r.Key); ok {
				note += "; sent as last collected, unchanged since " + c.Since.Local().Format("2006-01-02 15:04:05")
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", r.Name, r.Key, items, fmtDuration(r.Duration), note)
		}
		tw.Flush()
	}
	if len(rep.Changed) > 0 && rep.Partial {
		fmt.Fprintf(w, "Changed since last run: %v\n", rep.Changed)
	}
	if rep.Written != "" && rep.Written != "-" {
		fmt.Fprintf(w, "Written to %s\n", rep.Written)
	}
	if rep.Answer != "" {
		fmt.Fprintf(w, "Server says: %s\n", rep.Answer)
	}
	if rep.Delay > 0 {
		fmt.Fprintf(w, "Next contact requested in %s\n", rep.Delay)
	}
}

// carriedOf returns how section was carried over in rep, if it was.
func carriedOf(rep *agent.Report, section string) (agent.Carried, bool) {
	for _, c := range rep.Carried {
		if c.Section == section {
			return c, true
		}
	}
	return agent.Carried{}, false
}

func kindOf(partial bool) string {
	if partial {
		return "partial"
	}
	return "full"
}

// summary is the --json form of a run.
type summary struct {
	DeviceID   string          `json:"deviceid,omitempty"`
	Error      string          `json:"error,omitempty"`
	Kind       string          `json:"kind"`
	Sections   int             `json:"sections"`
	ElapsedMS  float64         `json:"elapsed_ms"`
	Collectors []collectorJSON `json:"collectors,omitempty"`
	Changed    []string        `json:"changed,omitempty"`
	Written    string          `json:"written,omitempty"`
	Answer     string          `json:"answer,omitempty"`
	DelayS     float64         `json:"next_contact_s,omitempty"`
}

type collectorJSON struct {
	Name   string  `json:"name"`
	Key    string  `json:"key"`
	Items  int     `json:"items"`
	TimeMS float64 `json:"time_ms"`
	Error  string  `json:"error,omitempty"`
	NoData bool    `json:"no_data,omitempty"`
	// CarriedSince is set when the section sent in place of a failed one
	// is the last one collected: when it was first collected.
	CarriedSince *time.Time `json:"carried_over_since,omitempty"`
}

func printJSONSummary(w io.Writer, rep *agent.Report, runErr error) error {
	s := summary{Kind: kindOf(rep.Partial), Sections: rep.Sections, ElapsedMS: ms(rep.Elapsed),
		Changed: rep.Changed, Written: rep.Written, Answer: rep.Answer, DelayS: rep.Delay.Seconds()}
	if runErr != nil {
		s.Error = runErr.Error()
	}
	if rep.Inventory != nil {
		s.DeviceID = rep.Inventory.DeviceID
	}
	for _, r := range rep.Results {
		c := collectorJSON{Name: r.Name, Key: r.Key, Items: r.Items, TimeMS: ms(r.Duration)}
		if r.Err != nil {
			c.Error, c.NoData = r.Err.Error(), errors.Is(r.Err, collectors.ErrNoData)
		}
		if cc, ok := carriedOf(rep, r.Key); ok {
			c.CarriedSince = &cc.Since
		}
		s.Collectors = append(s.Collectors, c)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
