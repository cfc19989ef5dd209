Feature: must fail: files, checks and health

  Background:
    Given a charm "demo" with workload container "app"
    And on "app-pebble-ready", the charm pushes "/etc/app.conf" to "app" with permissions 600:
      """
      port 6379
      """
    And on "app-pebble-ready", the charm adds layer "checks" to "app":
      """
      services:
        web: {override: replace, startup: enabled, command: /usr/bin/workload --http=8080 --health-file=/tmp/down}
      checks:
        alive:
          override: replace
          level: alive
          period: 500ms
          threshold: 1
          http: {url: "http://localhost:8080/health"}
      """
    And on "app-pebble-ready", the charm replans "app"

  Scenario: content
    When the charm is deployed
    Then file "/etc/app.conf" in "app" contains "port 6380" within 1s

  Scenario: permissions
    When the charm is deployed
    Then file "/etc/app.conf" in "app" has permissions "644"

  Scenario: owner
    When the charm is deployed
    Then file "/etc/app.conf" in "app" is owned by "nobody"

  Scenario: whole content
    When the charm is deployed
    Then file "/etc/app.conf" in "app" reads:
      """
      port 6380
      """

  Scenario: does not exist
    When the charm is deployed
    Then file "/etc/app.conf" in "app" does not exist within 1s

  Scenario: check down
    When the charm is deployed
    Then check "alive" in "app" is down within 3s

  Scenario: health
    When the charm is deployed
    Then Pebble in "app" is unhealthy at level alive within 3s
