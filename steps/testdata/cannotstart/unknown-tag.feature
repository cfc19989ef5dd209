Feature: a scenario that cannot start

  @needs-nonsense
  Scenario: its tag names no capability
    Given a charm "demo" with workload container "app"
