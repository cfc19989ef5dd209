package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"strings"

	"github.com/tandem-harness/tandem/steps"
)

// addSkipReasons writes each skipped scenario's reason into godog's JUnit
// report, as a <skipped message="..."/> element of its test case, which is
// where CI systems show it. godog itself knows only that it was skipped.
func addSkipReasons(path string, all []steps.Result) error {
	reasons := map[string]string{}
	for _, r := range all {
		if r.Status == "skipped" && r.Reason != "" {
			reasons[r.Name] = r.Reason
		}
	}
	if len(reasons) == 0 {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("cannot add skip reasons to %s: %v", path, err)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	var out bytes.Buffer
	enc := xml.NewEncoder(&out)
	var current string
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "testcase" {
				current = ""
				for _, a := range t.Attr {
					if a.Name.Local == "name" {
						current = a.Value
					}
				}
			}
			if err := enc.EncodeToken(t); err != nil {
				return err
			}
		case xml.EndElement:
			if t.Name.Local == "testcase" {
				if reason, ok := reasons[current]; ok {
					el := xml.StartElement{Name: xml.Name{Local: "skipped"}, Attr: []xml.Attr{{Name: xml.Name{Local: "message"}, Value: reason}}}
					enc.EncodeToken(el)
					enc.EncodeToken(el.End())
				}
			}
			if err := enc.EncodeToken(t); err != nil {
				return err
			}
		default:
			if err := enc.EncodeToken(xml.CopyToken(tok)); err != nil {
				return err
			}
		}
	}
	if err := enc.Flush(); err != nil {
		return err
	}
	text := out.String()
	if !strings.HasPrefix(text, "<?xml") {
		text = xml.Header + text
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
