Feature: must fail: a charm's secrets

  Background:
    Given the charm in "../../../fixtures/charms/toolcheck"

  Scenario: a secret's value
    When the charm is deployed
    Then the charm's secret "db-pass" has "password" set to "first"

  Scenario: a secret it does not own
    When the charm is deployed
    Then the charm's secret "api-key" has "key" set to "x"
