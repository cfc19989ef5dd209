Feature: pebble-ready before config-changed, or after it: the same unit

  Juju runs a workload's pebble-ready once its Pebble answers and the unit
  is idle: before config-changed when the Pebble answers early, after start
  when it answers late (canonical/pebble#52). A charm must build the same
  unit either way; one that keeps what config-changed worked out for
  pebble-ready to use, say, has nothing to use when pebble-ready comes
  first.

  Scenario: pebble-ready before config-changed at the deploy, after it on a new pod: the same plan
    Given pebble-ready comes before config-changed at the deploy
    When the charm is deployed
    Then the unit settles within 60s
    When the unit's state is noted
    And the pod is deleted
    Then since the state was noted, the charm received "upgrade-charm" within 60s
    And the unit settles within 60s
    And the unit's state is as noted
