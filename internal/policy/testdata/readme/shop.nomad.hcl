# The example job of the README: a shop front that breaks a few standards.
job "shop" {
  type = "service"

  group "web" {
    count = 1

    network {
      port "http" {
        static = 8080
      }
    }

    service {
      name = "shop"
      port = "http"
      tags = ["traefik.enable=true", "traefik.http.routers.shop.rule=Host(`shop.lab.example`)"]

      check {
        type     = "http"
        path     = "/health"
        interval = "10s"
        timeout  = "2s"
      }
    }

    task "web" {
      driver = "docker"

      config {
        image = "registry.lab.example/shop:latest"
        ports = ["http"]
      }

      env {
        PAYMENT_API_KEY = "pay-4f9c2e81d7b3a6e05c"
      }

      resources {
        cpu    = 200
        memory = 128
      }
    }
  }

  group "printer" {
    meta {
      orbit-exception-dynamic-ports = "legacy: the label printer only talks to port 9100"
    }

    network {
      port "raw" {
        static = 9100
      }
    }

    service {
      name = "label-printer"
      port = "raw"

      check {
        type     = "tcp"
        interval = "30s"
        timeout  = "5s"
      }

      identity {
        aud = ["consul.io"]
      }
    }

    task "spooler" {
      driver = "docker"

      config {
        image = "registry.lab.example/spooler:2.0.1"
        ports = ["raw"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
