package report

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
)

// SARIF 2.1.0, the subset code-scanning UIs read.
const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	toolName     = "orbit"
	toolURI      = "https://github.com/orbit/orbit"
)

type sarifLog struct {
	Version string     `json:"version"`
	Schema  string     `json:"$schema"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string       `json:"id"`
	ShortDescription     sarifMessage `json:"shortDescription"`
	DefaultConfiguration sarifConfig  `json:"defaultConfiguration"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID       string             `json:"ruleId"`
	RuleIndex    *int               `json:"ruleIndex,omitempty"`
	Level        string             `json:"level"`
	Message      sarifMessage       `json:"message"`
	Locations    []sarifLocation    `json:"locations,omitempty"`
	Suppressions []sarifSuppression `json:"suppressions,omitempty"`
}

// sarifLocation holds a physical location (a file finding) or logical
// locations (a resource finding), never both.
type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

// sarifLogical is a SARIF logicalLocation; kind "resource" is one of the
// spec's predefined kinds.
type sarifLogical struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification,omitempty"`
}

// level maps a severity to a SARIF level.
func level(s Severity) string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	default:
		return "note"
	}
}

// WriteSARIF prints a SARIF 2.1.0 log with one run: the rules, and one
// result per finding. An excepted finding carries an inSource suppression
// with its reason.
func WriteSARIF(w io.Writer, rules []Rule, fs []Finding) error {
	srules := make([]sarifRule, 0, len(rules))
	index := map[string]int{}
	for i, r := range rules {
		srules = append(srules, sarifRule{ID: r.ID, ShortDescription: sarifMessage{r.Summary}, DefaultConfiguration: sarifConfig{level(r.Severity)}})
		index[r.ID] = i
	}
	results := make([]sarifResult, 0, len(fs))
	for i := range fs {
		results = append(results, sarifResultOf(&fs[i], index))
	}
	log := sarifLog{
		Version: sarifVersion,
		Schema:  sarifSchema,
		Runs: []sarifRun{{
			Tool:    sarifTool{Driver: sarifDriver{Name: toolName, InformationURI: toolURI, Rules: srules}},
			Results: results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

func sarifResultOf(f *Finding, index map[string]int) sarifResult {
	r := sarifResult{RuleID: f.Rule, Level: level(f.Severity), Message: sarifMessage{f.Message}}
	if i, ok := index[f.Rule]; ok {
		r.RuleIndex = &i
	}
	switch {
	case f.File != "":
		phys := &sarifPhysical{ArtifactLocation: sarifArtifact{URI: fileURI(f.File)}}
		if f.Line > 0 {
			phys.Region = &sarifRegion{StartLine: f.Line, StartColumn: f.Column}
		}
		r.Locations = []sarifLocation{{PhysicalLocation: phys}}
	case f.Resource != "":
		r.Locations = []sarifLocation{{LogicalLocations: []sarifLogical{{FullyQualifiedName: f.Resource, Kind: "resource"}}}}
	}
	if f.Exception != "" {
		r.Suppressions = []sarifSuppression{{Kind: "inSource", Justification: f.Exception}}
	}
	return r
}

// fileURI makes a SARIF artifact URI: a relative path with forward
// slashes, or a file:// URI for an absolute path.
func fileURI(path string) string {
	p := filepath.ToSlash(path)
	if filepath.IsAbs(path) {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		return "file://" + p
	}
	return strings.TrimPrefix(p, "./")
}
