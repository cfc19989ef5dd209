package steps

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tandem-harness/tandem/spec"
)

// The steps that play a related application for a charm of your own, and
// check what the charm put in the relation.

func relationPhrases() []Phrase {
	g := groupYourCharm
	return []Phrase{
		{Group: g, Pattern: `^"(?P<app>[^"]*)" is related (?:to the charm )?on "(?P<endpoint>[^"]*)"(?: with (?P<n>\d+) units?)?$`,
			Example: `When "traefik" is related on "ingress" with 1 unit`,
			Help: "Another application related to the charm's endpoint (juju integrate), with N units (1 unless said; 0 for none). " +
				"Before the deploy, the relation is there when the unit starts: relation-created after install, joined and changed for each remote unit after start. " +
				"After it: relation-created, then joined and changed for each remote unit.",
			run: func(s *scenario, a []string, _ string) error {
				c, err := s.realCharm()
				if err != nil {
					return err
				}
				ep, ok := c.Meta.Endpoint(a[1])
				if !ok || ep.Role == "peers" {
					return fmt.Errorf("the charm %s has no endpoint %q to relate (its metadata's requires and provides)", c.Meta.Name, a[1])
				}
				n := 1
				if a[2] != "" {
					n, _ = strconv.Atoi(a[2])
				}
				op := spec.RelationOp{Op: spec.RelateOp, Endpoint: a[1], RemoteApp: a[0]}
				for i := 0; i < n; i++ {
					op.Units = append(op.Units, fmt.Sprintf("%s/%d", a[0], i))
				}
				if !s.deployed {
					c.Relations = append(c.Relations, op)
					return nil
				}
				return s.relation(op)
			}},
		{Group: g, Pattern: `^"(?P<unit>[^"]*)" sets "(?P<key>[^"]*)" to "(?P<value>[^"]*)" on "(?P<endpoint>[^"]*)"$`,
			Example: `When "traefik" sets "url" to "https://example.com/snappass" on "ingress"`,
			Help:    "The related application (\"traefik\") or one of its units (\"traefik/0\") writes its data in the relation: the charm gets relation-changed.",
			run: func(s *scenario, a []string, _ string) error {
				op, err := s.relationOn(a[3], spec.ChangeOp)
				if err != nil {
					return err
				}
				if strings.Contains(a[0], "/") {
					op.Unit = a[0]
				}
				if app, _, _ := strings.Cut(a[0], "/"); app != op.RemoteApp {
					return fmt.Errorf("%q is not of %q, the application related on %q", a[0], op.RemoteApp, a[3])
				}
				op.Data = map[string]string{a[1]: a[2]}
				return s.relation(op)
			}},
		{Group: g, Pattern: `^"(?P<unit>[^"]*)" departs "(?P<endpoint>[^"]*)"$`,
			Example: `When "traefik/0" departs "ingress"`,
			Help:    "A remote unit leaves the relation (it was removed): the charm gets relation-departed.",
			run: func(s *scenario, a []string, _ string) error {
				op, err := s.relationOn(a[1], spec.DepartOp)
				if err != nil {
					return err
				}
				op.Unit = a[0]
				return s.relation(op)
			}},
		{Group: g, Pattern: `^the relation on "(?P<endpoint>[^"]*)" is removed$`,
			Example: `When the relation on "ingress" is removed`,
			Help:    "juju remove-relation: relation-departed for each remote unit, then relation-broken.",
			run: func(s *scenario, a []string, _ string) error {
				op, err := s.relationOn(a[0], spec.RemoveOp)
				if err != nil {
					return err
				}
				return s.relation(op)
			}},
	}
}

func relationCheckPhrases() []Phrase {
	return []Phrase{
		{Group: groupYourCharmChecks, Pattern: `^the charm's (unit|application) data on "(?P<endpoint>[^"]*)" has "(?P<key>[^"]*)" set to "(?P<value>[^"]*)"` + within + `$`,
			Example: `Then the charm's unit data on "ingress" has "port" set to "5000" within 10s`,
			Help:    "What the charm wrote in a relation on its side: its unit's data, or (as leader) its application's.",
			run: func(s *scenario, a []string, _ string) error {
				return s.unitCheck(a[4], func(v spec.UnitView) error {
					for _, r := range v.Relations {
						if r.Endpoint != a[1] {
							continue
						}
						owner := v.Name
						if a[0] == "application" {
							owner = s.charm.App
						}
						if got, ok := r.Data[owner][a[2]]; !ok || got != a[3] {
							return fmt.Errorf("the charm's %s data on %q has %q set to %q, want %q (data: %v)", a[0], a[1], a[2], got, a[3], r.Data[owner])
						}
						return nil
					}
					return fmt.Errorf("the charm of %s has no relation on %q", s.unit, a[1])
				})
			}},
	}
}

// relationOn is an op on the relation a scenario made on an endpoint.
func (s *scenario) relationOn(endpoint, kind string) (spec.RelationOp, error) {
	for i := len(s.relations) - 1; i >= 0; i-- {
		if r := s.relations[i]; r.Endpoint == endpoint {
			return spec.RelationOp{Op: kind, ID: r.ID, Endpoint: endpoint, RemoteApp: r.RemoteApp}, nil
		}
	}
	return spec.RelationOp{}, fmt.Errorf("nothing is related on %q: relate it first (\"app\" is related on %q)", endpoint, endpoint)
}

// relation plays a related application's doing through the substrate.
func (s *scenario) relation(op spec.RelationOp) error {
	o, _, err := s.operator()
	if err != nil {
		return err
	}
	done, err := o.Relation(op)
	if err != nil {
		return err
	}
	if op.Op == spec.RelateOp {
		s.relations = append(s.relations, done)
	}
	return nil
}
