Feature: config-changed with nothing changed restarts nothing

  Juju runs config-changed when the config changed, and also when it did
  not: after upgrade-charm, and when the trust or the unit's address
  changed. A charm that builds the same layer from the same config and
  replans restarts nothing; one whose layer changes every time (a
  timestamp, a counter, a random password in the environment) restarts
  its workload for nothing.

  Scenario: config-changed with nothing changed: no service restarted
    When the charm is deployed
    Then the unit settles within 60s
    When the unit's state is noted
    And config-changed runs with nothing changed
    Then since the state was noted, the charm received "config-changed" within 60s
    And the unit settles within 60s
    And no workload service was started again since the state was noted
    And the unit's state is as noted
