package steps

import "strings"

// placeholders renders a step's pattern as the phrase an author writes:
// <name> for each named group, [...] around what may be left out, and a
// group's alternatives as a|b. The patterns keep to a small part of
// regexp's syntax (TestEveryGroupIsNamed holds them to it), which this
// reads directly: regexp/syntax would factor "starts|stops" into
// "st(?:arts|ops)".
func placeholders(pattern string) string {
	p := strings.TrimSuffix(strings.TrimPrefix(pattern, "^"), "$")
	return renderPattern(p)
}

func renderPattern(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		var part string
		switch c := p[i]; c {
		case '\\':
			i++
			part = p[i : i+1]
		case '(':
			end := closing(p, i)
			part = renderGroup(p[i+1 : end])
			i = end
		default:
			part = string(c)
		}
		if i+1 < len(p) && p[i+1] == '?' {
			part = "[" + part + "]"
			i++
		}
		b.WriteString(part)
	}
	return b.String()
}

// renderGroup renders the inside of a group: a named group holding no
// group of its own is its <name>; any other shows what it holds.
func renderGroup(body string) string {
	switch {
	case strings.HasPrefix(body, "?P<"):
		name, rest, _ := strings.Cut(body[3:], ">")
		if !holdsGroup(rest) {
			return "<" + name + ">"
		}
		return renderPattern(rest)
	case strings.HasPrefix(body, "?:"):
		return renderPattern(body[2:])
	}
	return renderPattern(body)
}

// closing is the index of the parenthesis that closes the one at open.
func closing(p string, open int) int {
	depth := 0
	for i := open; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return len(p) - 1
}

// holdsGroup says whether a pattern has a capturing group of its own.
func holdsGroup(p string) bool {
	for i := 0; i < len(p); i++ {
		switch {
		case p[i] == '\\':
			i++
		case p[i] == '(' && (!strings.HasPrefix(p[i+1:], "?") || strings.HasPrefix(p[i+1:], "?P<")):
			return true
		}
	}
	return false
}
