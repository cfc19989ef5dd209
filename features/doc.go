// Package features holds tandem's conformance suite: Gherkin scenarios
// written for every substrate, each tagged with the REFERENCE rules it
// checks (@R5.4) and the capabilities it needs (@needs-nodes).
package features
