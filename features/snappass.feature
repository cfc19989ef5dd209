@needs-images
Feature: The reference charm: snappass, a web app and a real Redis
  After Juju's first sidecar example (snappass-test). The charm pushes
  Redis's config with mode 0600, adds both layers and replans on
  pebble-ready; the app keeps one-time secrets in Redis over localhost.

  Background:
    Given a charm "snappass" with workload containers "redis" and "snappass"
    And container "redis" runs image "tandem/redis"
    And container "snappass" runs image "tandem/snappass"
    And container "redis" has file "/etc/passwd":
      """
      root:x:0:0:root:/root:/bin/bash
      redis:x:100:101::/var/lib/redis:/usr/sbin/nologin
      """
    And container "redis" has file "/etc/group":
      """
      root:x:0:
      redis:x:101:
      """
    And program "/usr/bin/redis-server" in container "redis" behaves like the workload tool with "--tcp=6379"
    And program "/usr/bin/snappass" in container "snappass" behaves like the workload tool with "--http=5000"
    And program "/usr/bin/snappass-check" in container "snappass" behaves like the workload tool with "--exit-after=0s --print=ok"
    And on "redis-pebble-ready", the charm pushes "/etc/redis/redis.conf" to "redis" with permissions 600 owned by "redis" and group "redis" making parent directories:
      """
      bind 127.0.0.1
      port 6379
      protected-mode no
      daemonize no
      save ""
      appendonly no
      """
    And on "redis-pebble-ready", the charm adds layer "redis" to "redis":
      """
      services:
        redis:
          override: replace
          startup: enabled
          command: /usr/bin/redis-server /etc/redis/redis.conf
          user: redis
          group: redis
      """
    And on "redis-pebble-ready", the charm replans "redis"
    And on "snappass-pebble-ready", the charm adds layer "snappass" to "snappass":
      """
      services:
        snappass:
          override: replace
          startup: enabled
          command: /usr/bin/snappass --redis localhost:6379
      """
    And on "snappass-pebble-ready", the charm replans "snappass"

  @R7.4 @R7.1 @R1.1
  Scenario: a secret is served end to end, and Redis's config is where Redis is
    When the charm is deployed
    Then service "redis" in "redis" is active within 10s
    And service "snappass" in "snappass" is active within 10s
    When the charm runs "/usr/bin/snappass-check" in "snappass"
    Then the command printed "ok"
    And file "/etc/redis/redis.conf" in "redis" has permissions "600"
    And file "/etc/redis/redis.conf" in "redis" is owned by "redis:redis"
    And file "/etc/redis/redis.conf" in "redis" contains "port 6379"
    And file "/etc/redis/redis.conf" in "snappass" does not exist

  @R3.1 @R5.4
  Scenario: redis-server killed: Pebble restarts it, and the app recovers
    When the charm is deployed
    Then service "redis" in "redis" is active within 10s
    When the process of "redis" in "redis" is killed with SIGKILL
    Then Pebble in "redis" logged 'Service "redis" stopped unexpectedly with code 137' within 5s
    And service "redis" in "redis" was started 2 times within 5s
    And service "redis" in "redis" is active
    When 1500ms pass
    And the charm runs "/usr/bin/snappass-check" in "snappass"
    Then the command printed "ok"

  @R3.2 @R2.1 @needs-container-restart
  Scenario: the redis container killed comes back; the charm re-adds its layer
    When the charm is deployed
    Then service "redis" in "redis" is active within 10s
    When container "redis" is killed
    Then container "redis" has restarted 1 time within 30s
    And the charm received "redis-pebble-ready" 2 times within 15s
    And service "redis" in "redis" is active within 5s
    When 1500ms pass
    And the charm runs "/usr/bin/snappass-check" in "snappass"
    Then the command printed "ok"
