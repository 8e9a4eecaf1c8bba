# The README's SARIF example: one finding, a task without resources.
job "cache" {
  group "cache" {
    count = 2

    network {
      port "redis" {}
    }

    service {
      name = "cache"
      port = "redis"

      check {
        type     = "tcp"
        interval = "10s"
        timeout  = "2s"
      }

      identity {
        aud = ["consul.io"]
      }
    }

    task "redis" {
      driver = "docker"

      config {
        image = "redis:7.4.1"
        ports = ["redis"]
      }
    }
  }
}
