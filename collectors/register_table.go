//go:build windows || darwin

package collectors

// registerAll registers a table of collectors (Windows', macOS').
func registerAll(infos []Info) {
	for _, i := range infos {
		Register(i.Name, i.Key, i.Default, i.Collect)
	}
}
