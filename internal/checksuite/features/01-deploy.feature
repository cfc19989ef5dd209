Feature: Deployed, the charm settles

  Juju's deploy runs install, each relation's relation-created,
  leader-elected, config-changed, start, then a pebble-ready for each
  workload container, which may land at any idle point after install. The
  charm must come through it with no hook failed, to a status it keeps.

  Scenario: deployed, the unit settles with no hook failed
    When the charm is deployed
    Then the unit settles within 60s
