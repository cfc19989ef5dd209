Feature: a typo in a step
  Scenario: one letter missing
    Given a charm "demo" with workload container "app"
    When the charm is deployed
    Then servce "web" in "app" is active within 3s
