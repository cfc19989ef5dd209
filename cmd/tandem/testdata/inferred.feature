Feature: what a scenario needs, from its steps alone (no tags)

  Scenario: two nodes
    Given a charm "demo" with workload container "app"
    When the charm is deployed on 2 nodes
    Then the units run on 1 different nodes

  Scenario: one node
    Given a charm "demo" with workload container "app"
    When the charm is deployed on 1 node
    Then the units run on 1 different nodes

  Scenario: a node fails
    Given a charm "demo" with workload container "app"
    When the charm is deployed
    And the node running the pod fails
