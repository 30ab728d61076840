package collectors

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"slices"
	"strconv"
	"testing"
)

// registered returns the collectors that file, a source of this package
// built for another OS, registers in its init() with
// Register("name", "key", default, fn) calls, each with the function of
// funcs named fn. The tests of every OS thus run exactly the collectors
// that OS's binary registers. funcs must name the functions registered
// and no others.
func registered(t testing.TB, file string, funcs map[string]Func) []Info {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var infos []Info
	used := map[string]bool{}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Name.Name != "init" || fd.Recv != nil {
			continue
		}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || !isIdent(call.Fun, "Register") {
				return true
			}
			info, fn, err := registration(call)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if info.Collect = funcs[fn]; info.Collect == nil {
				t.Fatalf("%s registers %s with %s, which the test's table lacks", file, info.Name, fn)
			}
			used[fn] = true
			infos = append(infos, info)
			return false
		})
	}
	if len(infos) == 0 {
		t.Fatalf("%s registers no collector", file)
	}
	for _, fn := range slices.Sorted(maps.Keys(funcs)) {
		if !used[fn] {
			t.Errorf("the test's table has %s, which %s does not register", fn, file)
		}
	}
	return infos
}

// registration reads a Register call whose arguments are literals and the
// name of a function.
func registration(call *ast.CallExpr) (Info, string, error) {
	bad := func() (Info, string, error) {
		return Info{}, "", fmt.Errorf("Register call at offset %d: want Register(\"name\", \"key\", true|false, fn)", call.Pos())
	}
	if len(call.Args) != 4 {
		return bad()
	}
	var info Info
	for i, p := range []*string{&info.Name, &info.Key} {
		lit, ok := call.Args[i].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return bad()
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			return bad()
		}
		*p = s
	}
	switch {
	case isIdent(call.Args[2], "true"):
		info.Default = true
	case !isIdent(call.Args[2], "false"):
		return bad()
	}
	fn, ok := call.Args[3].(*ast.Ident)
	if !ok {
		return bad()
	}
	return info, fn.Name, nil
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// TestRegistered checks that registered reads what a file registers, and
// refuses a table that differs from it.
func TestRegistered(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/collectors_plan9.go"
	src := "package collectors\n\nfunc init() {\n\tRegister(\"bios\", \"bios\", true, planBIOS)\n\tRegister(\"process\", \"processes\", false, planProcesses)\n}\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bios := Func(func(context.Context, *Env) (any, error) { return "bios", nil })
	procs := Func(func(context.Context, *Env) (any, error) { return "procs", nil })
	infos := registered(t, file, map[string]Func{"planBIOS": bios, "planProcesses": procs})
	var got []string
	for _, i := range infos {
		v, _ := i.Collect(t.Context(), nil)
		got = append(got, i.Name+" "+i.Key+" "+strconv.FormatBool(i.Default)+" "+v.(string))
	}
	if want := []string{"bios bios true bios", "process processes false procs"}; !slices.Equal(got, want) {
		t.Errorf("registered(%s) = %q, want %q", file, got, want)
	}
	for name, funcs := range map[string]map[string]Func{
		"missing": {"planBIOS": bios},
		"extra":   {"planBIOS": bios, "planProcesses": procs, "planUSB": bios},
	} {
		rec := &recorder{TB: t}
		func() {
			defer func() { _ = recover() }()
			registered(rec, file, funcs)
		}()
		if !rec.failed {
			t.Errorf("registered with a table %s a function: no failure", name)
		}
	}
}

// recorder is a testing.TB that records a failure instead of failing the
// test; Fatalf stops the caller with a panic.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }

func (r *recorder) Fatalf(string, ...any) {
	r.failed = true
	panic("recorder: fatal")
}
