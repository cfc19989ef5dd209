Feature: a failing run of a charm of your own
  Scenario: deployed, never blocked
    Given the charm in "../../../fixtures/charms/snappass"
    When the charm is deployed
    Then the unit's status is "blocked" within 2s
