package cli

import "fmt"

func cmdPrepareImage(g *globals, args []string) error {
	fs := g.flags("prepare-image", "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, _, closeFn, err := g.setup()
	if err != nil {
		return err
	}
	defer closeFn()
	if err := stopServiceForImage(g); err != nil {
		return err
	}
	ctx, cancel := signalContext()
	defer cancel()
	advice, err := a.PrepareImage(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(g.stdout, "Ready for imaging:")
	for _, l := range advice {
		fmt.Fprintf(g.stdout, "  - %s\n", l)
	}
	return nil
}
