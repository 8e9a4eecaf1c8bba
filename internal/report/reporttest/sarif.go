// Package reporttest checks report output in tests: CheckSARIF verifies a
// SARIF log against the required properties and value constraints of the
// SARIF 2.1.0 schema, structurally, without a schema library. Only tests
// import it.
package reporttest

import (
	"encoding/json"
	"errors"
	"fmt"
)

// CheckSARIF reports the first way data departs from the SARIF 2.1.0
// schema's requirements, as far as orbit's output uses them: version
// "2.1.0" and runs at the top; tool.driver.name in each run; an id for
// every rule; in each result a message.text, a known level, a ruleIndex
// that points at the rule named by ruleId, and locations whose
// physicalLocation has an artifactLocation.uri and a region with
// startLine and startColumn >= 1, or whose logicalLocations have a name
// or fullyQualifiedName; suppressions with kind inSource or external.
func CheckSARIF(data []byte) error {
	var doc struct {
		Version string            `json:"version"`
		Schema  string            `json:"$schema"`
		Runs    []json.RawMessage `json:"runs"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	if doc.Version != "2.1.0" {
		return fmt.Errorf("version %q, want 2.1.0", doc.Version)
	}
	if doc.Runs == nil {
		return errors.New("no runs")
	}
	for i, raw := range doc.Runs {
		if err := checkRun(raw); err != nil {
			return fmt.Errorf("runs[%d]: %w", i, err)
		}
	}
	return nil
}

type rule struct {
	ID *string `json:"id"`
}

type location struct {
	PhysicalLocation *struct {
		ArtifactLocation *struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
		Region *struct {
			StartLine   *int `json:"startLine"`
			StartColumn *int `json:"startColumn"`
		} `json:"region"`
	} `json:"physicalLocation"`
	LogicalLocations []struct {
		Name               string `json:"name"`
		FullyQualifiedName string `json:"fullyQualifiedName"`
		Kind               string `json:"kind"`
	} `json:"logicalLocations"`
}

type result struct {
	RuleID    string `json:"ruleId"`
	RuleIndex *int   `json:"ruleIndex"`
	Level     string `json:"level"`
	Message   *struct {
		Text string `json:"text"`
	} `json:"message"`
	Locations    []location `json:"locations"`
	Suppressions []struct {
		Kind string `json:"kind"`
	} `json:"suppressions"`
}

func checkRun(raw json.RawMessage) error {
	var run struct {
		Tool *struct {
			Driver *struct {
				Name  string `json:"name"`
				Rules []rule `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []result `json:"results"`
	}
	if err := json.Unmarshal(raw, &run); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if run.Tool == nil || run.Tool.Driver == nil || run.Tool.Driver.Name == "" {
		return errors.New("no tool.driver.name")
	}
	rules := run.Tool.Driver.Rules
	for i, r := range rules {
		if r.ID == nil || *r.ID == "" {
			return fmt.Errorf("tool.driver.rules[%d] has no id", i)
		}
	}
	for i := range run.Results {
		if err := checkResult(&run.Results[i], rules); err != nil {
			return fmt.Errorf("results[%d]: %w", i, err)
		}
	}
	return nil
}

func checkResult(r *result, rules []rule) error {
	if r.Message == nil || r.Message.Text == "" {
		return errors.New("no message.text")
	}
	switch r.Level {
	case "", "none", "note", "warning", "error":
	default:
		return fmt.Errorf("level %q is not none, note, warning or error", r.Level)
	}
	if r.RuleIndex != nil {
		if *r.RuleIndex < 0 || *r.RuleIndex >= len(rules) || *rules[*r.RuleIndex].ID != r.RuleID {
			return fmt.Errorf("ruleIndex %d does not point at rule %q", *r.RuleIndex, r.RuleID)
		}
	}
	for j, loc := range r.Locations {
		if err := checkLocation(&loc); err != nil {
			return fmt.Errorf("locations[%d]: %w", j, err)
		}
	}
	for j, s := range r.Suppressions {
		if s.Kind != "inSource" && s.Kind != "external" {
			return fmt.Errorf("suppressions[%d].kind %q is not inSource or external", j, s.Kind)
		}
	}
	return nil
}

func checkLocation(loc *location) error {
	if loc.PhysicalLocation == nil && len(loc.LogicalLocations) == 0 {
		return errors.New("neither physicalLocation nor logicalLocations")
	}
	if p := loc.PhysicalLocation; p != nil {
		if p.ArtifactLocation == nil || p.ArtifactLocation.URI == "" {
			return errors.New("physicalLocation without artifactLocation.uri")
		}
		if reg := p.Region; reg != nil {
			if reg.StartLine == nil || *reg.StartLine < 1 {
				return errors.New("region.startLine missing or < 1")
			}
			if reg.StartColumn != nil && *reg.StartColumn < 1 {
				return errors.New("region.startColumn < 1")
			}
		}
	}
	for k, l := range loc.LogicalLocations {
		if l.Name == "" && l.FullyQualifiedName == "" {
			return fmt.Errorf("logicalLocations[%d] has neither name nor fullyQualifiedName", k)
		}
	}
	return nil
}
