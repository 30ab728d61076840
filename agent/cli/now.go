package cli

import (
	"errors"
	"fmt"

	"github.com/glpi-agentd/glpi-agentd/agent"
)

func cmdNow(g *globals, args []string) error {
	fs := g.flags("now", "")
	categories := fs.String("category", "", "run only these categories (comma-separated `list`), as a partial inventory")
	wait := fs.Bool("wait", false, "follow the run and report its result")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := g.load()
	if err != nil {
		return err
	}
	ctx, cancel := signalContext()
	defer cancel()
	req := agent.ControlRequest{Categories: splitFlag(*categories), Wait: *wait}
	show := progressPrinter(g.stdout)
	var final agent.ControlMessage
	err = agent.RequestNow(ctx, cfg.StateDir, req, func(m agent.ControlMessage) {
		switch {
		case m.Queued && !*wait:
			fmt.Fprintln(g.stdout, "inventory requested from the running daemon")
		case m.Queued:
			fmt.Fprintln(g.stdout, "the running daemon is starting the inventory")
		case m.Event != nil:
			show(*m.Event)
		case m.Done:
			final = m
		}
	})
	if errors.Is(err, agent.ErrNoDaemon) {
		// No daemon: do the run here, with the same output.
		fmt.Fprintln(g.stdout, "no running daemon: running the inventory here")
		err := cmdInventory(g, append(args[:0:0], inventoryArgs(*categories)...))
		if errors.Is(err, errNowhere) {
			return errors.New("no running daemon, and nowhere to send an inventory from here: set server in the configuration, or use `glpi-agentd inventory --local PATH` or `--server URL`")
		}
		return err
	}
	if err != nil {
		return err
	}
	if !*wait {
		return nil
	}
	if final.Error != "" {
		return errors.New(final.Error)
	}
	if final.Report != nil {
		printSummary(g.stdout, final.Report, false) // its collectors were shown as they finished
	}
	return nil
}

func inventoryArgs(categories string) []string {
	if categories == "" {
		return []string{"--full"}
	}
	return []string{"--category", categories}
}
