Feature: a passing local run
  Scenario: a unit with a service that ignores SIGTERM settles
    Given a charm "demo" with workload containers "app" and "side"
    And on "app-pebble-ready", the charm adds layer "srv" to "app":
      """
      services:
        srv: {override: replace, startup: enabled, command: /usr/bin/workload --ignore-sigterm}
      """
    And on "app-pebble-ready", the charm replans "app"
    When the charm is deployed
    Then service "srv" in "app" is active within 5s
