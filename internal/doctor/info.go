package doctor

// Info describes the agent's running DNS server, as /v1/dns/info serves it.
type Info struct {
	Addr       string   `json:"Addr"`
	Domain     string   `json:"Domain"`
	AltDomains []string `json:"AltDomains"`
	Datacenter string   `json:"Datacenter"`
	Forwarding bool     `json:"Forwarding"`
	Upstreams  []string `json:"Upstreams"`
	Zones      []string `json:"Zones"`
}
