Feature: a malformed file
  Scenario: fine so far
    Given a charm "demo" with workload container "app"
  This line is not Gherkin
    When the charm is deployed
