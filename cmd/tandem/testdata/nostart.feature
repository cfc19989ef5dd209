Feature: a service that will not stay up says why
  Scenario: it exits at once, and nothing restarts it
    Given a charm "demo" with workload container "app"
    And on "app-pebble-ready", the charm adds layer "l" to "app":
      """
      services:
        api:
          override: replace
          startup: enabled
          command: /usr/bin/workload --exit-after=0s --exit-code=3
          on-failure: ignore
      """
    And on "app-pebble-ready", the charm replans "app"
    When the charm is deployed
    Then service "api" in "app" is active within 3s
