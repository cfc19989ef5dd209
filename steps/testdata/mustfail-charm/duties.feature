Feature: must fail: the duty checks tandem check is written in (on local)

  Most change the charm's config after noting the unit's state, which a
  charm must answer by changing its plan and restarting its workload: the
  duty checks, which expect nothing to change, must say so.

  Background:
    Given the charm in "../../../fixtures/charms/snappass"

  Scenario: settled in another status
    When the charm is deployed
    Then the unit settles with status "blocked" within 30s

  Scenario: state not as noted
    When the charm is deployed
    Then the unit settles within 30s
    When the unit's state is noted
    And the operator sets config "port" to "5003"
    Then the unit settles within 30s
    And the unit's state is as noted

  Scenario: state after each kill not as noted
    When the charm is deployed
    Then the unit settles within 30s
    When the unit's state is noted
    And the operator sets config "port" to "5003"
    And each workload container is killed in turn, the unit settling after each within 30s
    Then after each kill, the unit's state was as noted

  Scenario: an event not received since the state was noted
    When the charm is deployed
    Then the unit settles within 30s
    When the unit's state is noted
    And the operator sets config "port" to "5003"
    Then since the state was noted, the charm received "upgrade-charm" within 3s

  Scenario: no start since the state was noted
    When the charm is deployed
    Then the unit settles within 30s
    When the unit's state is noted
    And the operator sets config "port" to "5003"
    Then since the state was noted, the charm received start, then each workload container's pebble-ready within 3s

  Scenario: a service started again
    When the charm is deployed
    Then the unit settles within 30s
    When the unit's state is noted
    And the operator sets config "port" to "5003"
    Then the unit settles within 30s
    And no workload service was started again since the state was noted

  Scenario: the dying order with no unit gone
    When the charm is deployed
    And the application is scaled to 2 units
    Then each unit that went ran departed and broken for its relations, then stop, then remove

  Scenario: not settled yet
    When the charm is deployed without waiting
    Then the unit settles within 1s
