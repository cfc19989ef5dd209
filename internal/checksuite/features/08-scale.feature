Feature: Scaled up and down, every unit settles, and the going units die in order

  juju scale-application adds units, each deployed as the first was and
  joined to the others as peers, and takes the last ones away: each runs
  relation-departed and relation-broken for every relation, then stop, then
  remove, while the units that stay hear relation-departed. A charm must
  settle on every unit, and come through its dying hooks without failing.

  Scenario: scaled to 3 units and back to 1: every unit settles, and the going units run their hooks in Juju's order
    When the charm is deployed
    Then the unit settles within 60s
    When the application is scaled to 3 units
    And the application is scaled to 1 unit
    Then each unit that went ran departed and broken for its relations, then stop, then remove
    And the unit settles within 60s
