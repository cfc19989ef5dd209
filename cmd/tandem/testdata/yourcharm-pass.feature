Feature: a passing run of a charm of your own
  Scenario: deployed, active
    Given the charm in "../../../fixtures/charms/snappass"
    When the charm is deployed
    Then the unit's status is "active" within 30s
