Feature: Checks, health and probes
  A check counts consecutive failures; at its threshold it is down, its
  on-check-failure actions fire once and the charm is told; the first
  success recovers it. The workload tool's health switch makes checks fail
  for real.

  Background:
    Given a charm "demo" with workload container "app"
    And on "app-pebble-ready", the charm adds layer "web" to "app":
      """
      services:
        web:
          override: replace
          startup: enabled
          command: /usr/bin/workload --http=8080
          on-check-failure: {up: restart}
      checks:
        up:
          override: replace
          level: alive
          period: 500ms
          threshold: 3
          http: {url: "http://localhost:8080/health"}
      """
    And on "app-pebble-ready", the charm replans "app"

  @R6.1 @R6.2 @R2.3
  Scenario: a check down at its threshold restarts its service and tells the charm
    When the charm is deployed
    Then check "up" in "app" is up within 20s
    When the workload in "app" turns unhealthy
    Then check "up" in "app" is down within 5s
    And Pebble in "app" logged 'Check "up" threshold 3 hit, triggering action and recovering' within 1s
    And Pebble in "app" logged 'Service "web" on-check-failure action is "restart", terminating process before restarting' within 1s
    And service "web" in "app" was started 2 times within 5s
    And the charm received "app-pebble-check-failed" 1 time within 2s
    # The restart came one back-off (500ms) after the check went down, which
    # is one check period: a flip now would land on the next check, and
    # which comes first is a race. A quarter period later it is not.
    When 250ms pass
    And the workload in "app" turns healthy
    Then check "up" in "app" is up within 5s
    And the charm received "app-pebble-check-recovered" 1 time within 2s

  @R6.1
  Scenario: failures below the threshold change nothing
    When the charm is deployed
    Then check "up" in "app" is up within 20s
    When the workload in "app" turns unhealthy
    And 700ms pass
    And the workload in "app" turns healthy
    And 2s pass
    Then check "up" in "app" is up
    And service "web" in "app" was started 1 time

  @R6.3 @R1.4
  Scenario: health is 502 at the level of a down check; ready counts alive checks
    Given on "app-pebble-ready", the charm adds layer "ready" to "app":
      """
      services:
        db:
          override: replace
          startup: enabled
          command: /usr/bin/workload --tcp=5432
      checks:
        db-port:
          override: replace
          level: ready
          period: 500ms
          threshold: 1
          tcp: {port: 5432}
      """
    And on "app-pebble-ready", the charm replans "app"
    When the charm is deployed
    Then Pebble in "app" is healthy at level ready within 20s
    When the charm stops "db" in "app"
    Then Pebble in "app" is unhealthy at level ready within 3s
    And Pebble in "app" is healthy at level alive

  @R3.4 @needs-prober
  Scenario: a ready check down takes the pod out of service, and nothing restarts
    Given on "app-pebble-ready", the charm adds layer "ready" to "app":
      """
      checks:
        serving:
          override: replace
          level: ready
          period: 500ms
          threshold: 1
          http: {url: "http://localhost:8080/health"}
      """
    And on "app-pebble-ready", the charm combines layer "web" into "app":
      """
      services:
        web:
          override: merge
          on-check-failure: {up: ignore}
      checks:
        up:
          override: merge
          threshold: 1000
      """
    When the charm is deployed
    Then the pod is ready within 30s
    And the pod's address in the Service is serving within 10s
    When the workload in "app" turns unhealthy
    Then the pod is not ready within 15s
    And the cluster reported "Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 502" for container "app" within 5s
    And the pod's address in the Service is not serving within 10s
    And container "app" has restarted 0 times

  @R4.2 @R6.1
  Scenario: an exec check runs in the workload container; a check has exactly one kind
    Given on "app-pebble-ready", the charm adds layer "probe" to "app":
      """
      checks:
        marker:
          override: replace
          period: 500ms
          threshold: 1
          exec: {command: "/usr/bin/workload --fail-if-exists=/tmp/broken"}
      """
    When the charm is deployed
    Then check "marker" in "app" is up within 3s
    When the charm pushes "/tmp/broken" to "app":
      """
      x
      """
    Then check "marker" in "app" is down within 3s
    When the charm adds layer "both" to "app":
      """
      checks:
        confused:
          override: replace
          http: {url: "http://localhost:8080/"}
          tcp: {port: 8080}
      """
    Then the charm's last action failed with 'plan must specify one of "http", "tcp", or "exec" for check "confused"'

  @R6.1 @R6.3
  Scenario: a workload's own health switch, at a path it chooses
    Given on "app-pebble-ready", the charm adds layer "custom" to "app":
      """
      services:
        api:
          override: replace
          startup: enabled
          command: /usr/bin/workload --http=9090 --health-file=/run/api-down
      checks:
        api-up:
          override: replace
          level: ready
          period: 500ms
          threshold: 1
          http: {url: "http://localhost:9090/health"}
      """
    And on "app-pebble-ready", the charm replans "app"
    When the charm is deployed
    Then check "api-up" in "app" is up within 3s
    When the workload in "app" turns unhealthy through "/run/api-down"
    Then check "api-up" in "app" is down within 3s
    And Pebble in "app" is unhealthy at level ready
    When the workload in "app" turns healthy through "/run/api-down"
    Then check "api-up" in "app" is up within 3s

  @R6.1
  Scenario: an exec check whose command outlives its timeout fails with Pebble's words
    Given on "app-pebble-ready", the charm adds layer "slow" to "app":
      """
      checks:
        slow: {override: replace, period: 1s, timeout: 300ms, threshold: 1, exec: {command: "/usr/bin/workload --exit-after=2s"}}
      """
    When the charm is deployed
    Then check "slow" in "app" is down within 5s
    And Pebble in "app" logged 'Check "slow" failure 1/1: check timed out after 300ms' within 1s
    And the charm received "app-pebble-check-failed" within 5s
