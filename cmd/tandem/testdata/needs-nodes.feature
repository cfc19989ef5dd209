Feature: a scenario needing nodes
  @needs-nodes
  Scenario: failover across nodes
    Given a charm "demo" with workload container "app"
    When the charm is deployed on 2 nodes
    Then every unit's containers run on one node
