// Package steps is tandem's Gherkin vocabulary: plain-English steps that
// build a charm spec, declare the charm's handlers, act on a unit, inject
// faults and check what happened, all through the substrate interface.
//
// It is exported so a charm author's own godog suite can register tandem's
// steps beside its own:
//
//	func InitializeScenario(sc *godog.ScenarioContext) {
//		steps.Register(sc, steps.Config{Substrate: "sim"})
//		sc.Step(`^my own step$`, myOwnStep)
//	}
//
// Every phrase is listed, with an example, by `tandem steps` and in
// docs/steps.md, both generated from Vocabulary.
package steps
