Feature: a long run of a charm of your own, to be interrupted
  Scenario: waits
    Given the charm in "../../../fixtures/charms/snappass"
    When the charm is deployed
    And 60s pass
