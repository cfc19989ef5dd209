Feature: The charm container restarts, and the workloads go on

  When the charm container restarts, Juju's agent starts again in it and
  runs start, then a pebble-ready for each workload container. The
  workloads did not stop: a charm that gives the same layer again and
  replans restarts nothing.

  Scenario: the charm container restarted: start, then every pebble-ready, and the workloads untouched
    When the charm is deployed
    Then the unit settles within 60s
    When the unit's state is noted
    And container "charm" is killed
    Then since the state was noted, the charm received start, then each workload container's pebble-ready within 60s
    And the unit settles within 60s
    And no workload service was started again since the state was noted
    And the unit's state is as noted
