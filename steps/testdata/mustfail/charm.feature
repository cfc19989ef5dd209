Feature: must fail: the charm's events, handlers, actions and commands

  Background:
    Given a charm "demo" with workload container "app"

  Scenario: events in order
    When the charm is deployed
    Then the charm received these events within 2s:
      """
      install
      config-changed
      leader-elected
      start
      app-pebble-ready
      """

  Scenario: an event never received
    When the charm is deployed
    Then the charm received "upgrade-charm" within 3s

  Scenario: an event count never reached
    When the charm is deployed
    Then the charm received "app-pebble-ready" 2 times within 5s

  Scenario: an event count that does not stay
    When the charm is deployed
    And container "app" is killed
    Then the charm received "app-pebble-ready" 1 time and stays so for 30s

  Scenario: a handler that failed
    Given on "app-pebble-ready", the charm removes "/no/such/file" from "app"
    When the charm is deployed
    Then the charm's "app-pebble-ready" handler succeeded

  Scenario: a handler that succeeded
    Given on "app-pebble-ready", the charm replans "app"
    When the charm is deployed
    Then the charm's "app-pebble-ready" handler failed with "not found"

  Scenario: an action that failed
    When the charm is deployed
    And the charm removes "/no/such/file" from "app"
    Then the charm's last action succeeded

  Scenario: an action that succeeded
    When the charm is deployed
    And the charm makes directory "/srv" in "app"
    Then the charm's last action failed with "not-found"

  Scenario: printed
    When the charm is deployed
    And the charm runs "/usr/bin/workload --exit-after=0s --print=pong" in "app"
    Then the command printed "ping"

  Scenario: exit code
    When the charm is deployed
    And the charm runs "/usr/bin/workload --exit-after=0s --exit-code=3" in "app"
    Then the command exited with 0
