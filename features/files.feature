Feature: Files pushed by the charm land in the workload container
  Pebble runs in the workload container, so what the charm pushes is in
  that container's own filesystem, with the mode and owner asked for.

  Background:
    Given a charm "demo" with workload containers "app" and "other"
    And container "app" has file "/etc/passwd":
      """
      root:x:0:0:root:/root:/bin/sh
      alice:x:1000:1000::/home/alice:/bin/sh
      """
    And container "app" has file "/etc/group":
      """
      root:x:0:
      alice:x:1000:
      staff:x:50:
      """

  @R7.1 @R7.4
  Scenario: a pushed file has the default mode and lands only in its container
    When the charm is deployed
    And the charm pushes "/etc/app.conf" to "app":
      """
      port = 8080
      """
    Then file "/etc/app.conf" in "app" reads:
      """
      port = 8080
      """
    And file "/etc/app.conf" in "app" has permissions "644"
    And file "/etc/app.conf" in "app" is owned by "root:root"
    And file "/etc/app.conf" in "other" does not exist

  @R7.1
  Scenario: permissions, owner and parent directories
    When the charm is deployed
    And the charm pushes "/srv/app/conf/secret" to "app" with permissions 600 owned by "alice" and group "staff" making parent directories:
      """
      s3cret
      """
    Then file "/srv/app/conf/secret" in "app" has permissions "600"
    And file "/srv/app/conf/secret" in "app" is owned by "alice:staff"
    And file "/srv/app/conf" in "app" has permissions "755"
    And file "/srv/app/conf" in "app" is owned by "alice:staff"

  @R7.3
  Scenario: pushing into a missing directory is not-found
    When the charm is deployed
    And the charm pushes "/no/such/dir/file" to "app":
      """
      x
      """
    Then the charm's last action failed with "not-found"

  @R7.3
  Scenario: an unknown owner is an error
    When the charm is deployed
    And the charm pushes "/etc/x" to "app" owned by "mallory":
      """
      x
      """
    Then the charm's last action failed with "unknown user mallory"

  @R7.2
  Scenario: make a directory, then remove it with what it holds
    When the charm is deployed
    And the charm makes directory "/srv/data/cache" in "app" with permissions 700 making parent directories
    And the charm pushes "/srv/data/cache/entry" to "app":
      """
      cached
      """
    Then file "/srv/data/cache" in "app" has permissions "700"
    When the charm removes "/srv/data" from "app"
    Then the charm's last action failed with "generic-file-error"
    When the charm removes "/srv/data" from "app" recursively
    Then the charm's last action succeeded
    And file "/srv/data/cache/entry" in "app" does not exist

  @R7.4 @R3.2 @needs-container-restart @needs-fresh-restart
  Scenario: the container's own writes are lost with it; the shared volume is not
    When the charm is deployed
    And the charm pushes "/etc/app.conf" to "app":
      """
      lost
      """
    And the charm pushes "/charm/container/kept.conf" to "app":
      """
      kept
      """
    And container "app" is killed
    Then the charm can connect to "app" within 30s
    And file "/etc/app.conf" in "app" does not exist
    And file "/charm/container/kept.conf" in "app" contains "kept"

  @R1.2
  Scenario: exec runs a command in the workload container
    When the charm is deployed
    And the charm runs "/usr/bin/workload --exit-after=0s --print=pong" in "app"
    Then the command printed "pong"
    When the charm runs "/usr/bin/workload --exit-after=0s --exit-code=3" in "app"
    Then the charm's last action failed with "exit status 3"
    And the command exited with 3
