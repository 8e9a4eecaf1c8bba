package main

import (
	"fmt"
	"strconv"
	"strings"
)

// Config is the part of testutil.TestServerConfig (sdk/testutil/server.go)
// that orbit has a setting for; JSON names are the ones testutil writes.
type Config struct {
	NodeName           string            `json:"node_name"`
	NodeID             string            `json:"node_id"`
	NodeMeta           map[string]string `json:"node_meta"`
	Datacenter         string            `json:"datacenter"`
	DataDir            string            `json:"data_dir"`
	LogLevel           string            `json:"log_level"`
	Bind               string            `json:"bind_addr"`
	EnableScriptChecks bool              `json:"enable_script_checks"`
	EnableDebug        bool              `json:"enable_debug"`
	Addresses          *struct {
		HTTP string `json:"http"`
	} `json:"addresses"`
	Ports struct {
		DNS     int `json:"dns"`
		HTTP    int `json:"http"`
		HTTPS   int `json:"https"`
		SerfLan int `json:"serf_lan"`
		SerfWan int `json:"serf_wan"`
		Server  int `json:"server"`
		GRPC    int `json:"grpc"`
	} `json:"ports"`
	ACL struct {
		Enabled       bool   `json:"enabled"`
		DefaultPolicy string `json:"default_policy"`
		DownPolicy    string `json:"down_policy"`
		TokenTTL      string `json:"token_ttl"`
		Tokens        struct {
			Default           string `json:"default"`
			Agent             string `json:"agent"`
			InitialManagement string `json:"master"`
		} `json:"tokens"`
	} `json:"acl"`
}

// Flags are orbit agent's flags for the configuration; hcl is the file
// written by HCL, which carries what has no flag.
// has tells whether orbit knows a flag (older builds lack some), so the
// stand-in runs against any orbit.
func (c *Config) Flags(hcl string, has func(flag string) bool) []string {
	bind := c.Bind
	if bind == "" {
		bind = "127.0.0.1"
	}
	at := func(port int) string { return bind + ":" + strconv.Itoa(port) }
	args := []string{"-dev", "-config", hcl}
	if c.DataDir != "" {
		args = append(args, "-data-dir", c.DataDir)
	}
	if c.NodeName != "" {
		args = append(args, "-node", c.NodeName)
	}
	if c.NodeID != "" && has("node-id") {
		args = append(args, "-node-id", c.NodeID)
	}
	if has("node-meta") {
		for k, v := range c.NodeMeta {
			args = append(args, "-node-meta", k+":"+v)
		}
	}
	if c.Datacenter != "" {
		args = append(args, "-datacenter", c.Datacenter)
	}
	args = append(args, "-bind", bind, "-http-addr", at(c.Ports.HTTP))
	if c.Ports.DNS > 0 {
		args = append(args, "-dns-addr", at(c.Ports.DNS))
	} else {
		args = append(args, "-dns-addr", "off")
	}
	// The edge's entry points take ports testutil reserved for what orbit
	// does not run (Serf), so parallel test servers never share a port.
	args = append(args, "-entrypoint", "web="+at(c.Ports.SerfLan), "-entrypoint", "websecure="+at(c.Ports.SerfWan))
	if c.EnableScriptChecks {
		args = append(args, "-enable-script-checks")
	}
	if c.EnableDebug {
		args = append(args, "-enable-debug")
	}
	switch strings.ToLower(c.LogLevel) {
	case "trace", "debug":
		args = append(args, "-log-level", "debug")
	case "info", "warn", "error":
		args = append(args, "-log-level", strings.ToLower(c.LogLevel))
	}
	return args
}

// HCL is orbit's configuration file for what has no flag: ACLs.
func (c *Config) HCL() string {
	var b strings.Builder
	if c.ACL.Enabled {
		b.WriteString("acl {\n  enabled = true\n")
		if c.ACL.DefaultPolicy != "" {
			fmt.Fprintf(&b, "  default_policy = %q\n", c.ACL.DefaultPolicy)
		}
		if c.ACL.DownPolicy != "" {
			fmt.Fprintf(&b, "  down_policy = %q\n", c.ACL.DownPolicy)
		}
		if c.ACL.TokenTTL != "" {
			fmt.Fprintf(&b, "  token_ttl = %q\n", c.ACL.TokenTTL)
		}
		t := c.ACL.Tokens
		b.WriteString("  tokens {\n")
		if t.InitialManagement != "" {
			fmt.Fprintf(&b, "    initial_management = %q\n", t.InitialManagement)
		}
		if t.Agent != "" {
			fmt.Fprintf(&b, "    agent = %q\n", t.Agent)
		}
		if t.Default != "" {
			fmt.Fprintf(&b, "    default = %q\n", t.Default)
		}
		b.WriteString("  }\n}\n")
	}
	return b.String()
}
