Feature: an undefined step
  Scenario: a step tandem does not know
    Given a charm "demo" with workload container "app"
    When the charm is deployed
    Then the moon is made of cheese
