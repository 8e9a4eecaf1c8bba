package anomaly

import (
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// The README's configuration example decodes and gives the defaults.
func TestREADMEConfigExample(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	start := strings.Index(text, "```hcl\n")
	if start < 0 {
		t.Fatal("README has no hcl block")
	}
	body := text[start+len("```hcl\n"):]
	body = body[:strings.Index(body, "```")]
	f, diags := hclparse.NewParser().ParseHCL([]byte(body), "README.md")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var agent struct {
		Metrics struct {
			ML *Block `hcl:"ml,block"`
		} `hcl:"metrics,block"`
	}
	if diags := gohcl.DecodeBody(f.Body, nil, &agent); diags.HasErrors() {
		t.Fatal(diags)
	}
	got, err := agent.Metrics.ML.Config()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := (*Block)(nil).Config()
	if got != want {
		t.Errorf("README example gives %+v, want the defaults %+v", got, want)
	}
}
