package collectors

import (
	"regexp"
	"sync"
)

// lazyRegexp is a regular expression compiled at its first use. Every
// binary carries the patterns of every system's collectors (their logic is
// tested on each), and a run uses few: compiled at start, they cost each
// run of the agent most of a millisecond.
type lazyRegexp struct {
	once sync.Once
	src  string
	re   *regexp.Regexp
}

// lazyRegexps lists every pattern, for the test that compiles them all.
var lazyRegexps []*lazyRegexp

// lazyRE returns the pattern src, compiled at its first use; an invalid
// pattern panics then, and in TestLazyRegexps.
func lazyRE(src string) *lazyRegexp {
	l := &lazyRegexp{src: src}
	lazyRegexps = append(lazyRegexps, l)
	return l
}

func (l *lazyRegexp) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.src) })
	return l.re
}

func (l *lazyRegexp) MatchString(s string) bool              { return l.get().MatchString(s) }
func (l *lazyRegexp) FindString(s string) string             { return l.get().FindString(s) }
func (l *lazyRegexp) FindStringSubmatch(s string) []string   { return l.get().FindStringSubmatch(s) }
func (l *lazyRegexp) FindAllString(s string, n int) []string { return l.get().FindAllString(s, n) }
func (l *lazyRegexp) ReplaceAllString(s, repl string) string {
	return l.get().ReplaceAllString(s, repl)
}
func (l *lazyRegexp) FindAllStringSubmatch(s string, n int) [][]string {
	return l.get().FindAllStringSubmatch(s, n)
}

func (l *lazyRegexp) ReplaceAllStringFunc(s string, repl func(string) string) string {
	return l.get().ReplaceAllStringFunc(s, repl)
}

// String returns the pattern.
func (l *lazyRegexp) String() string { return l.src }
