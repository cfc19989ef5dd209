Feature: must fail: the checks of a charm of your own (on local)

  Background:
    Given the charm in "../../../fixtures/charms/snappass"

  Scenario: unit status
    When the charm is deployed
    Then the unit's status is "active" within 20s
    And the unit's status is "blocked" within 1s

  Scenario: application status
    When the charm is deployed
    Then the application's status is "blocked"

  Scenario: workload version
    When the charm is deployed
    Then the workload version is "9.9" within 1s

  Scenario: opened ports
    When the charm is deployed
    Then the unit's opened ports are "80/tcp" within 1s

  Scenario: logged
    When the charm is deployed
    Then the charm logged "a line it never logs" within 1s

  Scenario: logged N times
    When the charm is deployed
    Then the charm logged "Redis is up" 2 times

  Scenario: an action that failed
    When the charm is deployed
    And the operator runs action "get-url" with params:
      """
      scheme: gopher
      """
    Then the action completed

  Scenario: an action that completed
    When the charm is deployed
    And the operator runs action "get-url"
    Then the action failed with message "no such scheme"

  Scenario: an action's result
    When the charm is deployed
    And the operator runs action "get-url"
    Then the action's result "url" is "http://example.com"

  Scenario: relation data
    When the charm is deployed
    And "traefik" is related on "ingress" with 1 unit
    Then the charm's unit data on "ingress" has "port" set to "80" within 10s
