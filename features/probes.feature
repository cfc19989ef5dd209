Feature: The kubelet's liveness probe on Pebble's health
  Juju probes each container's own Pebble: an alive check down is a
  failed liveness probe, and three in a row restart the container.

  @R3.3 @R1.3 @needs-prober
  Scenario: the liveness probe restarts a container whose alive check is down
    Given a charm "demo" with workload container "app"
    # The service ignores the check's failure from its first start: a layer
    # combined after the replan would race the service's start, which
    # takes its config from the plan when it actually starts.
    And on "app-pebble-ready", the charm adds layer "web" to "app":
      """
      services:
        web:
          override: replace
          startup: enabled
          command: /usr/bin/workload --http=8080
          on-check-failure: {up: ignore}
      checks:
        up:
          override: replace
          level: alive
          period: 500ms
          threshold: 3
          http: {url: "http://localhost:8080/health"}
      """
    And on "app-pebble-ready", the charm replans "app"
    When the charm is deployed
    Then check "up" in "app" is up within 20s
    When the workload in "app" turns unhealthy
    Then container "app" has restarted 1 time within 40s
    And the cluster reported "Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 502" for container "app" within 5s
    And the cluster reported "Killing: Container app failed liveness probe, will be restarted" for container "app" within 5s
    And the charm received "app-pebble-ready" 2 times within 15s
    # The check recovers in the new Pebble (its health switch went with the
    # old container's filesystem); the run ends once the charm is told.
    And the charm received "app-pebble-check-recovered" within 10s
