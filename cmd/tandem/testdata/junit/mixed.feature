Feature: a suite for the JUnit report
  Background:
    Given a charm "demo" with workload container "app"

  Scenario: a unit settles
    When the charm is deployed
    Then the charm received "app-pebble-ready"

  Scenario: a check that fails
    When the charm is deployed
    Then the charm received "app-pebble-check-failed"

  @needs-nodes
  Scenario: failover across nodes
    When the charm is deployed on 2 nodes
    Then every unit's containers run on one node

  Scenario Outline: one per node count
    When the charm is deployed on <nodes> nodes
    Then the units run on 1 different nodes

    Examples: one node
      | nodes |
      | 1     |

    @needs-nodes
    Examples: two nodes
      | nodes |
      | 2     |
