Feature: Services under Pebble: replan, ordering, signals

  Background:
    Given a charm "demo" with workload container "app"
    And on "app-pebble-ready", the charm adds layer "web" to "app":
      """
      services:
        web:
          override: replace
          startup: enabled
          command: /usr/bin/workload --http=8080
          requires: [db]
          after: [db]
        db:
          override: replace
          command: /usr/bin/workload --tcp=5432
        spare:
          override: replace
          command: /usr/bin/workload
      """
    And on "app-pebble-ready", the charm replans "app"

  @R5.6 @R5.2
  Scenario: replan starts enabled services and what they require, in order
    When the charm is deployed
    Then service "web" in "app" is active within 20s
    And service "db" in "app" is active
    And service "spare" in "app" is inactive
    And service "db" in "app" was started 1 time

  @R5.6
  Scenario: replan restarts a service whose configuration changed, and only it
    When the charm is deployed
    Then service "web" in "app" is active within 20s
    When the charm combines layer "web" into "app":
      """
      services:
        web:
          override: merge
          environment: {MODE: fast}
      """
    And the charm replans "app"
    Then service "web" in "app" was started 2 times within 5s and stays so for 1s
    And service "db" in "app" was started 1 time

  @R3.1 @R5.4
  Scenario: a killed service process is restarted by Pebble
    When the charm is deployed
    Then service "web" in "app" is active within 20s
    When the process of "web" in "app" is killed with SIGKILL
    Then Pebble in "app" logged 'Service "web" stopped unexpectedly with code 137' within 3s
    And Pebble in "app" logged 'waiting ~500ms before restart (backoff 1)'
    And service "web" in "app" was started 2 times within 3s
    And service "web" in "app" is active

  @R5.1
  Scenario: a signal through Pebble reaches the process
    When the charm is deployed
    Then service "web" in "app" is active within 20s
    When the charm sends SIGTERM to "web" in "app"
    Then Pebble in "app" logged 'Service "web" stopped unexpectedly with code 143' within 3s
    And service "web" in "app" is backoff

  @R5.6
  Scenario: a service whose requirement does not exist cannot start
    Given on "start", the charm adds layer "broken" to "app":
      """
      services:
        lonely:
          override: replace
          command: /usr/bin/workload
          requires: [ghost]
      """
    When the charm is deployed
    Then the charm's "start" handler failed with 'service "ghost" does not exist'

  @R5.6
  Scenario: restarting a service others require restarts only that service
    When the charm is deployed
    Then service "web" in "app" is active within 20s
    When the charm restarts "db" in "app"
    Then service "db" in "app" was started 2 times within 5s and stays so for 1s
    And service "web" in "app" was started 1 time and stays so for 2s
    And service "web" in "app" is active

  @R5.6
  Scenario: a replan after a required service changed restarts what requires it, and leaves a disabled one stopped
    Given on "app-pebble-ready", the charm adds layer "needy" to "app":
      """
      services:
        needy: {override: replace, command: /usr/bin/workload, requires: [db]}
      """
    When the charm is deployed
    Then service "web" in "app" is active within 20s
    When the charm starts "needy" in "app"
    Then service "needy" in "app" is active within 5s
    When 1500ms pass
    And the charm combines layer "web" into "app":
      """
      services:
        db: {override: merge, environment: {MODE: fast}}
      """
    And the charm replans "app"
    Then service "db" in "app" was started 2 times within 5s and stays so for 1s
    And service "web" in "app" was started 2 times within 5s and stays so for 1s
    And service "needy" in "app" was started 1 time and stays so for 2s
    And service "needy" in "app" is inactive

  @R5.6
  Scenario: a replan starts a changed service even when it is disabled and stopped
    When the charm is deployed
    Then service "web" in "app" is active within 20s
    When the charm starts "spare" in "app"
    Then service "spare" in "app" is active within 5s
    When 1500ms pass
    And the charm stops "spare" in "app"
    # Pebble says inactive from the moment it signals the process; a start
    # then would find it terminating. It logs "stopped" once it has exited.
    Then Pebble in "app" logged 'Service "spare" stopped' within 5s
    When the charm combines layer "web" into "app":
      """
      services:
        spare: {override: merge, environment: {MODE: fast}}
      """
    And the charm replans "app"
    Then service "spare" in "app" was started 2 times within 5s and stays so for 1s
    And service "spare" in "app" is active

  # ops waits for each change it starts (start, stop, restart, replan:
  # timeout=30.0 in ops/model.py) and raises when the change fails: the
  # hook fails there, and nothing after it runs.
  @R5.2
  Scenario: a handler waits for its replan before it restarts
    Given on "app-pebble-ready", the charm restarts "web" in "app"
    When the charm is deployed
    Then service "web" in "app" was started 2 times within 20s and stays so for 2s
    And the charm's "app-pebble-ready" handler succeeded
    And service "db" in "app" was started 1 time

  @R5.2
  Scenario: a change that fails fails the handler, and what follows does not run
    Given on "start", the charm adds layer "flaky" to "app":
      """
      services:
        flaky:
          override: replace
          command: /usr/bin/workload --exit-after=100ms --exit-code=3
          on-failure: ignore
      """
    And on "start", the charm starts "flaky" in "app"
    And on "start", the charm pushes "/after-start" to "app":
      """
      reached
      """
    When the charm is deployed
    Then the charm's "start" handler failed with "exited quickly with code 3"
    And file "/after-start" in "app" does not exist
