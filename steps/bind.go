package steps

import (
	"fmt"

	"github.com/cucumber/godog"
)

// typed is a phrase's step as a function of the very arity godog calls it
// with: one string per group of its pattern, then the doc string where
// the step ends in ':'. Typed functions, not reflect.MakeFunc, so godog
// has a real function to name.
func typed(groups int, withDoc bool, call func(args []string, doc string) error) (any, error) {
	d := func(ds *godog.DocString) string {
		if ds == nil {
			return ""
		}
		return ds.Content
	}
	s := func(v ...string) []string { return v }
	if withDoc {
		switch groups {
		case 0:
			return func(ds *godog.DocString) error { return call(nil, d(ds)) }, nil
		case 1:
			return func(a string, ds *godog.DocString) error { return call(s(a), d(ds)) }, nil
		case 2:
			return func(a, b string, ds *godog.DocString) error { return call(s(a, b), d(ds)) }, nil
		case 3:
			return func(a, b, c string, ds *godog.DocString) error { return call(s(a, b, c), d(ds)) }, nil
		case 4:
			return func(a, b, c, e string, ds *godog.DocString) error { return call(s(a, b, c, e), d(ds)) }, nil
		case 5:
			return func(a, b, c, e, f string, ds *godog.DocString) error { return call(s(a, b, c, e, f), d(ds)) }, nil
		case 6:
			return func(a, b, c, e, f, g string, ds *godog.DocString) error { return call(s(a, b, c, e, f, g), d(ds)) }, nil
		case 7:
			return func(a, b, c, e, f, g, h string, ds *godog.DocString) error {
				return call(s(a, b, c, e, f, g, h), d(ds))
			}, nil
		}
	} else {
		switch groups {
		case 0:
			return func() error { return call(nil, "") }, nil
		case 1:
			return func(a string) error { return call(s(a), "") }, nil
		case 2:
			return func(a, b string) error { return call(s(a, b), "") }, nil
		case 3:
			return func(a, b, c string) error { return call(s(a, b, c), "") }, nil
		case 4:
			return func(a, b, c, e string) error { return call(s(a, b, c, e), "") }, nil
		case 5:
			return func(a, b, c, e, f string) error { return call(s(a, b, c, e, f), "") }, nil
		case 6:
			return func(a, b, c, e, f, g string) error { return call(s(a, b, c, e, f, g), "") }, nil
		case 7:
			return func(a, b, c, e, f, g, h string) error { return call(s(a, b, c, e, f, g, h), "") }, nil
		}
	}
	return nil, fmt.Errorf("a step pattern with %d groups: add the arity to steps.typed", groups)
}
