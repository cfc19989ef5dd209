Feature: Layers and the plan
  Layers combine in order; merge fields one by one, replace wins whole;
  defaults come after combining; layer files and API layers; what the
  image ships is copied once into $PEBBLE.

  Background:
    Given a charm "demo" with workload container "app"

  @R4.3 @R5.6
  Scenario: a merge that changes nothing leaves the service running through a replan
    Given on "app-pebble-ready", the charm adds layer "srv" to "app":
      """
      services:
        srv: {override: replace, startup: enabled, command: /usr/bin/workload}
      """
    And on "app-pebble-ready", the charm replans "app"
    When the charm is deployed
    Then service "srv" in "app" is active within 5s
    When the charm combines layer "srv" into "app":
      """
      services:
        srv: {override: merge}
      """
    And the charm replans "app"
    Then service "srv" in "app" was started 1 time and stays so for 2s
    And Pebble in "app" has not logged 'Service "srv" stopped'

  @R4.3 @R4.4
  Scenario: a merge keeps earlier fields; defaults apply after combining
    When the charm is deployed
    And the charm adds layer "base" to "app":
      """
      services:
        srv:
          override: replace
          command: /usr/bin/workload --exit-after=1100ms --exit-code=1
          backoff-delay: 250ms
      """
    And the charm adds layer "tune" to "app":
      """
      services:
        srv:
          override: merge
          backoff-factor: 3
      """
    And the charm starts "srv" in "app"
    Then Pebble in "app" logged 'waiting ~250ms before restart (backoff 1)' within 5s
    And Pebble in "app" logged 'waiting ~750ms before restart (backoff 2)' within 5s

  @R4.3 @R4.4
  Scenario: a replace drops what earlier layers said
    When the charm is deployed
    And the charm adds layer "base" to "app":
      """
      services:
        srv:
          override: replace
          command: /usr/bin/workload --exit-after=1100ms --exit-code=1
          backoff-delay: 300ms
      """
    And the charm adds layer "over" to "app":
      """
      services:
        srv:
          override: replace
          command: /usr/bin/workload --exit-after=1100ms --exit-code=2
      """
    And the charm starts "srv" in "app"
    Then Pebble in "app" logged 'Service "srv" stopped unexpectedly with code 2' within 5s
    And Pebble in "app" logged 'waiting ~500ms before restart (backoff 1)' within 1s

  @R4.3 @R4.1
  Scenario: a layer without override is refused with Pebble's words
    When the charm is deployed
    And the charm adds layer "base" to "app":
      """
      services:
        srv:
          override: replace
          command: /usr/bin/workload
      """
    And the charm adds layer "bad" to "app":
      """
      services:
        srv:
          command: /usr/bin/workload --tcp=1
      """
    Then the charm's last action failed with 'layer "bad" must define "override" for service "srv"'

  @R4.1 @R4.6
  Scenario: an invalid action name is refused with Pebble's words
    When the charm is deployed
    And the charm adds layer "bad" to "app":
      """
      services:
        srv:
          override: replace
          command: /usr/bin/workload
          on-failure: explode
      """
    Then the charm's last action failed with 'plan service "srv" on-failure action "explode" invalid'

  @R4.6
  Scenario: a dependency loop is refused
    When the charm is deployed
    And the charm adds layer "loop" to "app":
      """
      services:
        a: {override: replace, command: /usr/bin/workload, after: [b]}
        b: {override: replace, command: /usr/bin/workload, after: [a]}
      """
    Then the charm's last action failed with "services in before/after loop: a, b"

  @R4.5
  Scenario: an API layer label can be added once, or combined
    When the charm is deployed
    And the charm adds layer "one" to "app":
      """
      services:
        a: {override: replace, command: /usr/bin/workload}
      """
    And the charm adds layer "one" to "app":
      """
      services:
        b: {override: replace, command: /usr/bin/workload}
      """
    Then the charm's last action failed with 'layer "one" already exists'
    When the charm combines layer "one" into "app":
      """
      services:
        b: {override: replace, command: /usr/bin/workload}
      """
    And the charm starts "a" and "b" in "app"
    Then service "b" in "app" is active within 3s

  @R4.7 @R4.5 @R1.1 @needs-container-restart
  Scenario: layers the image ships are copied into $PEBBLE once, and $PEBBLE is the truth after
    Given container "app" ships layer file "001-shipped.yaml":
      """
      services:
        shipped:
          override: replace
          startup: enabled
          command: /usr/bin/workload
      """
    And on "app-pebble-ready", the charm replans "app"
    When the charm is deployed
    Then service "shipped" in "app" is active within 20s
    When the charm pushes "/charm/container/pebble/layers/002-extra.yaml" to "app":
      """
      services:
        extra:
          override: replace
          startup: enabled
          command: /usr/bin/workload --tcp=7000
      """
    And container "app" is killed
    Then service "extra" in "app" is active within 30s
    And service "shipped" in "app" is active
