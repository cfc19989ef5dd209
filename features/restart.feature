Feature: Pebble restarts a failed service through its back-off
  A workload service that exits is Pebble's business: it restarts it with
  a growing delay, resets the delay once the service stays up, and obeys
  the on-success and on-failure actions. The charm hears nothing of it.

  Background:
    Given a charm "demo" with workload container "app"
    And on "app-pebble-ready", the charm adds layer "crash" to "app":
      """
      services:
        srv:
          override: replace
          startup: enabled
          command: /usr/bin/workload --exit-after=1100ms --exit-code=1 --record=srv
          backoff-delay: 200ms
          backoff-factor: 2
          backoff-limit: 2s
      """
    And on "app-pebble-ready", the charm replans "app"

  @R5.4 @R3.1 @R5.1
  Scenario: a crashing service backs off, doubling up to the limit
    When the charm is deployed
    Then Pebble in "app" logged 'Service "srv" on-failure action is "restart", waiting ~200ms before restart (backoff 1)' within 20s
    And Pebble in "app" logged 'waiting ~400ms before restart (backoff 2)' within 5s
    And Pebble in "app" logged 'waiting ~800ms before restart (backoff 3)' within 5s
    And Pebble in "app" logged 'waiting ~1.6s before restart (backoff 4)' within 5s
    And Pebble in "app" logged 'waiting ~2s before restart (backoff 5)' within 5s
    And the workload recorded 5 starts of "srv" in "app" within 5s

  @R2.4
  Scenario: a service exiting raises no event
    When the charm is deployed
    Then Pebble in "app" logged '(backoff 3)' within 20s
    And the charm received these events:
      """
      install
      leader-elected
      config-changed
      start
      app-pebble-ready
      """

  @R5.2
  Scenario: a service that exits within the okay delay fails its start
    Given on "start", the charm adds layer "quick" to "app":
      """
      services:
        quick:
          override: replace
          command: /usr/bin/workload --exit-after=300ms --exit-code=4
          on-failure: ignore
      """
    When the charm is deployed
    And the charm starts "quick" in "app"
    Then the charm's last action succeeded
    And service "quick" in "app" is error within 3s
    And Pebble in "app" logged 'Service "quick" stopped unexpectedly with code 4' within 1s
    And Pebble in "app" logged 'Service "quick" on-failure action is "ignore", not doing anything further' within 1s

  @R5.4
  Scenario: a service that stays up past the back-off limit starts over at backoff 1
    Given on "start", the charm adds layer "steady" to "app":
      """
      services:
        steady:
          override: replace
          command: /usr/bin/workload --exit-after=2500ms --exit-code=1
          backoff-delay: 100ms
          backoff-limit: 1s
      """
    When the charm is deployed
    And the charm starts "steady" in "app"
    Then Pebble in "app" logged 'Service "steady" on-failure action is "restart", waiting ~100ms before restart (backoff 1)' within 5s
    And service "steady" in "app" was started 3 times within 8s
    And Pebble in "app" logged 'Service "steady" on-failure action is "restart", waiting ~100ms before restart (backoff 1)'

  @R5.3 @R4.1
  Scenario: an action Pebble allows only elsewhere is refused
    When the charm is deployed
    And the charm adds layer "odd" to "app":
      """
      services:
        odd:
          override: replace
          command: /usr/bin/workload
          on-success: success-shutdown
      """
    Then the charm's last action failed with 'plan service "odd" on-success action "success-shutdown" invalid'

  @R5.5
  Scenario: a service ignoring SIGTERM is killed after its kill-delay
    # Its layer comes on start, so the pebble-ready replan starts it with
    # srv: a second replan a second later (the first waits for srv's okay
    # delay) raced srv's exit at 1.1 s under load, and restarted srv early.
    Given on "start", the charm adds layer "stubborn" to "app":
      """
      services:
        stubborn:
          override: replace
          startup: enabled
          command: /usr/bin/workload --ignore-sigterm --record=stubborn
          kill-delay: 1s
      """
    When the charm is deployed
    Then service "stubborn" in "app" is active within 20s
    And the workload recorded 1 start of "stubborn" in "app" within 5s
    When the charm stops "stubborn" in "app"
    And 800ms pass
    Then Pebble in "app" has not logged 'Service "stubborn" stopped'
    And Pebble in "app" logged 'Service "stubborn" stopped' within 1s
    And service "stubborn" in "app" is inactive

  @R5.5
  Scenario: stopping a service during its back-off stops it at once
    When the charm is deployed
    Then service "srv" in "app" is backoff within 20s
    When the charm stops "srv" in "app"
    Then service "srv" in "app" is inactive within 1s
    And Pebble in "app" logged 'Service "srv" stopped while waiting for backoff' within 1s
