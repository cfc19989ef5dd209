Feature: a failing local run
  Scenario: a check that cannot pass
    Given a charm "demo" with workload container "app"
    When the charm is deployed
    Then the charm received "install" 5 times within 1s
