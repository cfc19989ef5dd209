Feature: must fail: a hook that failed and no step checked

  Scenario: a hook failed unchecked
    Given the charm in "../../../fixtures/charms/flaky"
    When the charm is deployed without waiting
    Then the unit's status is "active" with message "installed" within 40s

  Scenario: a hook failing during the deploy
    Given the charm in "../../../fixtures/charms/flaky"
    And the charm is deployed
