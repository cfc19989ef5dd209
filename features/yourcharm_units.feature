Feature: Your charm across units: peers, leadership and scaling

  Units of the reference charm (fixtures/charms/snappass) are peers: each
  writes its port in the peer relation, and the leader writes its name in
  the application's data there. tandem plays Juju's controller: it passes
  what each unit's hook changed to the others, moves leadership, and
  scales the application, every hook compared with the model.

  Background:
    Given the charm in "../fixtures/charms/snappass"

  @R2.7
  Scenario: two units hear each other, and the leader, through their peer relation
    When the charm is deployed as 2 units
    And the steps act on unit "snappass/1"
    Then the charm logged "the leader is snappass/0" within 15s
    And the charm logged "peer snappass/0 serves on 5000" within 15s
    And the unit's status is "active" within 15s

  @R2.7
  Scenario: leadership moves: the new leader gets leader-elected, and says so to the others
    When the charm is deployed as 2 units
    And leadership moves to "snappass/1"
    And the steps act on unit "snappass/1"
    Then the charm received "leader-elected" 1 time within 10s
    And the charm's application data on "snappass-peers" has "leader" set to "snappass/1" within 10s
    When the steps act on unit "snappass/0"
    Then the charm logged "the leader is snappass/1" within 15s
    And the charm received "leader-elected" 1 time

  @R2.7
  Scenario: scaled up, a new unit joins the others; scaled down, the last ones go through their dying hooks
    When the charm is deployed
    And the application is scaled to 3 units
    Then the charm logged "peer snappass/2 serves on 5000" within 15s
    When the application is scaled to 1 unit
    Then the charm logged "peer snappass/2 departed" within 15s
    And the charm logged "peer snappass/1 departed" within 15s
    When the steps act on unit "snappass/2"
    Then the charm received "stop" 1 time
    And the charm received "remove" 1 time
    And the charm logged "snappass/2 is removed"
