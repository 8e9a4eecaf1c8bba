// Command consul is a stand-in for the consul binary that Consul's own test
// helper (github.com/hashicorp/consul/sdk/testutil) starts from $PATH. It is
// not Consul: it answers `consul version` and turns
// `consul agent -config-file F` into `orbit agent -dev` on the ports, node
// name, node id, datacenter and ACL settings that F names, then replaces
// itself with orbit (exec), so the test helper's interrupt reaches orbit.
//
// The orbit binary is the ORBIT_BIN environment variable, or `orbit` beside
// this program.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// orbitVersion is what `orbit version` prints ("orbit v0.1.0" → "0.1.0"):
// the stand-in claims orbit's version as Consul's, because the suite
// expects a node's consul-version metadata to equal what `consul version`
// said.
func orbitVersion() string {
	orbit, err := orbitBinary()
	if err != nil {
		return "0.0.0"
	}
	out, err := exec.Command(orbit, "version").Output()
	if err != nil {
		return "0.0.0"
	}
	f := strings.Fields(string(out))
	if len(f) < 2 {
		return "0.0.0"
	}
	return strings.TrimPrefix(f[1], "v")
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "consul stand-in:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: consul version | consul agent -config-file FILE")
	}
	switch args[0] {
	case "version":
		return printVersion(args[1:])
	case "agent":
		return agent(args[1:])
	default:
		return fmt.Errorf("subcommand %q is not part of the stand-in", args[0])
	}
}

func printVersion(args []string) error {
	version := orbitVersion()
	for _, a := range args {
		if a == "-format=json" || a == "--format=json" {
			return json.NewEncoder(os.Stdout).Encode(map[string]any{
				"Version": version, "Revision": "orbit", "Prerelease": "",
				"FullVersion": version, "Architecture": "amd64",
			})
		}
	}
	_, err := fmt.Printf("Consul v%s (orbit stand-in)\n", version)
	return err
}

// agent reads the config file named by -config-file and execs orbit.
func agent(args []string) error {
	var file string
	for i := 0; i < len(args); i++ {
		a := strings.TrimLeft(args[i], "-")
		switch {
		case a == "config-file" && i+1 < len(args):
			file = args[i+1]
			i++
		case strings.HasPrefix(a, "config-file="):
			file = strings.TrimPrefix(a, "config-file=")
		}
	}
	if file == "" {
		return errors.New("agent: -config-file is required")
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	var cfg Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return fmt.Errorf("agent: parse %s: %w", file, err)
	}
	hclPath := filepath.Join(filepath.Dir(file), "orbit.hcl")
	if err := os.WriteFile(hclPath, []byte(cfg.HCL()), 0o600); err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	orbit, err := orbitBinary()
	if err != nil {
		return err
	}
	help, _ := exec.Command(orbit, "agent", "-h").CombinedOutput()
	has := func(flag string) bool {
		h := string(help)
		return strings.Contains(h, "  -"+flag+" ") || strings.Contains(h, "  -"+flag+"\n")
	}
	argv := append([]string{orbit, "agent"}, cfg.Flags(hclPath, has)...)
	fmt.Fprintf(os.Stderr, "consul stand-in: exec %s\n", strings.Join(argv, " "))
	return syscall.Exec(orbit, argv, os.Environ())
}

func orbitBinary() (string, error) {
	if p := os.Getenv("ORBIT_BIN"); p != "" {
		return p, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find orbit: %w", err)
	}
	p := filepath.Join(filepath.Dir(exe), "orbit")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("find orbit beside the stand-in (or set ORBIT_BIN): %w", err)
	}
	return p, nil
}
