Feature: a bad capability tag

  @needs-wings
  Scenario: flies
    Given a charm "demo" with workload container "app"
