package collectors

import (
	"testing"
	"time"

	"github.com/jaypipes/ghw"
	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
)

// The benchmarks below time the hardware collectors on fixture roots, and
// the library calls that could replace what they read themselves, so that
// docs/dependencies.md can give both figures:
//
//	go test -run '^$' -bench 'Collect|Lib' -benchmem ./collectors

// benchCollector runs collector name on fixture root testdata/<fixture>.
func benchCollector(b *testing.B, name, fixture string) {
	info, ok := Lookup(name)
	if !ok {
		b.Fatalf("Lookup(%q) found nothing", name)
	}
	env := &Env{Root: "testdata/" + fixture}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := info.Collect(b.Context(), env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCollectAll runs every collector of a local inventory on the
// laptop fixture, as one run does: concurrently, sharing what they read.
func BenchmarkCollectAll(b *testing.B) {
	infos, err := Select(nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	env := &Env{Root: "testdata/laptop"}
	b.ReportAllocs()
	for b.Loop() {
		if _, results := Run(b.Context(), env, infos, time.Minute, nil); len(results) != len(infos) {
			b.Fatalf("%d results for %d collectors", len(results), len(infos))
		}
	}
}

func BenchmarkCollectBIOS(b *testing.B)     { benchCollector(b, "bios", "laptop") }
func BenchmarkCollectHardware(b *testing.B) { benchCollector(b, "hardware", "laptop") }
func BenchmarkCollectCPU(b *testing.B)      { benchCollector(b, "cpu", "laptop") }
func BenchmarkCollectDrives(b *testing.B)   { benchCollector(b, "drive", "server") }
func BenchmarkCollectStorage(b *testing.B)  { benchCollector(b, "storage", "server") }

// BenchmarkLibGHWDMI is ghw's BIOS, baseboard, chassis and product on the
// DMI fixture.
func BenchmarkLibGHWDMI(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		opts := []any{b.Context(), ghw.WithChroot("testdata/laptop"), ghw.WithDisableTools(), ghw.WithDisableWarnings()}
		if _, err := ghw.BIOS(opts...); err != nil {
			b.Fatal(err)
		}
		if _, err := ghw.Baseboard(opts...); err != nil {
			b.Fatal(err)
		}
		if _, err := ghw.Chassis(opts...); err != nil {
			b.Fatal(err)
		}
		if _, err := ghw.Product(opts...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLibGHWBlock is ghw's block devices on the storage fixture.
func BenchmarkLibGHWBlock(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ghw.Block(b.Context(), ghw.WithChroot("testdata/server"), ghw.WithDisableTools(), ghw.WithDisableWarnings()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLibGopsutilCPU is gopsutil's cpu.Info on the CPU fixture.
func BenchmarkLibGopsutilCPU(b *testing.B) {
	ctx := (&Env{Root: "testdata/laptop"}).Context(b.Context())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cpu.InfoWithContext(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLibGopsutilPartitions is gopsutil's mount table on the drives
// fixture, all file systems (the pseudo ones are filtered after).
func BenchmarkLibGopsutilPartitions(b *testing.B) {
	ctx := (&Env{Root: "testdata/server"}).Context(b.Context())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := disk.PartitionsWithContext(ctx, true); err != nil {
			b.Fatal(err)
		}
	}
}
