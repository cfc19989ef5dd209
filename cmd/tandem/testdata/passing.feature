Feature: a passing scenario
  Scenario: a unit settles
    Given a charm "demo" with workload container "app"
    When the charm is deployed
    Then the charm received "app-pebble-ready" 1 time
