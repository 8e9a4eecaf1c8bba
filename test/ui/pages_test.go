package ui_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// uiPages are the pages the navigation lists, with a detail page each
// where one exists.
var uiPages = []string{
	"/ui/", "/ui/services", "/ui/services/web", "/ui/nodes", "/ui/nodes/node1", "/ui/kv/", "/ui/kv/app/config",
	"/ui/jobs", "/ui/jobs/-run", "/ui/allocations", "/ui/edge", "/ui/dns", "/ui/monitoring", "/ui/monitoring/settings", "/ui/acl", "/ui/acl/policy/-new", "/ui/acl/token/-new",
}

// put sends a write to the agent's API and fails the test unless it is
// accepted.
func put(t *testing.T, url, token, body string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Consul-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// fetch asks the UI for a page's shell or (fragment) its content.
func fetch(t *testing.T, url, token string, fragment bool) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fragment {
		req.Header.Set("X-Orbit-Fragment", "1")
	}
	if token != "" {
		req.Header.Set("X-Consul-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// voidElements need no end tag.
var voidElements = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true,
	"img": true, "input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true,
	// SVG elements the templates close themselves
	"line": true, "polyline": true, "path": true, "rect": true, "circle": true}

// checkHTML tokenizes a document and reports unbalanced or misnested tags,
// duplicate ids, form fields without a label (a <label for>, an enclosing
// <label>, aria-label or aria-labelledby), images without alt text and
// drawn images (role="img") without aria-label: the mistakes a template
// edit makes, and the accessibility basics.
func checkHTML(doc string) []string {
	var problems, stack []string
	ids := map[string]bool{}
	labelFor := map[string]bool{}
	var unlabelled []string // ids of fields that need a <label for>
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if z.Err() != io.EOF {
				problems = append(problems, z.Err().Error())
			}
			for _, open := range stack {
				problems = append(problems, "<"+open+"> never closed")
			}
			for _, id := range unlabelled {
				if !labelFor[id] {
					problems = append(problems, fmt.Sprintf("field #%s has no label", id))
				}
			}
			return problems
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			attr := map[string]string{}
			for _, a := range tok.Attr {
				attr[a.Key] = a.Val
				if a.Key == "id" {
					if ids[a.Val] {
						problems = append(problems, fmt.Sprintf("duplicate id %q", a.Val))
					}
					ids[a.Val] = true
				}
			}
			if p := a11yProblem(tok.Data, attr, slices.Contains(stack, "label")); p != "" {
				if strings.HasPrefix(p, "#") {
					unlabelled = append(unlabelled, p[1:])
				} else {
					problems = append(problems, p)
				}
			}
			if tok.Data == "label" && attr["for"] != "" {
				labelFor[attr["for"]] = true
			}
			if tt == html.StartTagToken && !voidElements[tok.Data] {
				stack = append(stack, tok.Data)
			}
		case html.EndTagToken:
			tok := z.Token()
			if len(stack) == 0 || stack[len(stack)-1] != tok.Data {
				problems = append(problems, fmt.Sprintf("</%s> closes %v", tok.Data, stack))
				continue
			}
			stack = stack[:len(stack)-1]
		}
	}
}

// a11yProblem judges one start tag: "" when fine, "#id" when the field
// must be named by a <label for=id> elsewhere, else the problem.
func a11yProblem(tag string, attr map[string]string, inLabel bool) string {
	_, hasAlt := attr["alt"]
	switch {
	case tag == "img" && !hasAlt:
		return fmt.Sprintf("<img src=%q> has no alt", attr["src"])
	case attr["role"] == "img" && attr["aria-label"] == "" && attr["aria-labelledby"] == "":
		return fmt.Sprintf("<%s role=img id=%q> has no aria-label", tag, attr["id"])
	case tag != "input" && tag != "textarea" && tag != "select":
		return ""
	case tag == "input" && (attr["type"] == "hidden" || attr["type"] == "submit" || attr["type"] == "button"):
		return ""
	case inLabel || attr["aria-label"] != "" || attr["aria-labelledby"] != "":
		return ""
	case attr["id"] == "":
		return fmt.Sprintf("<%s name=%q> has neither an id for a label nor a label around it", tag, attr["name"])
	}
	return "#" + attr["id"]
}

// seedCatalog registers services the pages show: one routed by tags (one
// of them wrong), one with a TTL check.
func seedCatalog(t *testing.T, a *testagent.Agent, token string) {
	t.Helper()
	put(t, a.URL+"/v1/agent/service/register", token, `{"Name":"web","ID":"web1","Port":21000,
		"Tags":["traefik.enable=true","traefik.http.routers.web.rule=Host(`+"`web.example`"+`)","traefik.http.routers.broken.rule=Hostx(`+"`x`"+`)"],
		"Check":{"CheckID":"web-ttl","Name":"web ttl","TTL":"600s"}}`)
	put(t, a.URL+"/v1/agent/service/register", token, `{"Name":"api","ID":"api1","Port":21001,"Tags":["v1"]}`)
	put(t, a.URL+"/v1/kv/app/config", token, `{"debug":false}`)
}

func TestPagesLoadCleanAndValid(t *testing.T) {
	a := testagent.Start(t)
	seedCatalog(t, a, "")
	b := newBrowser(t, a.URL)
	for _, p := range uiPages {
		name := strings.Trim(strings.ReplaceAll(strings.TrimPrefix(p, "/ui"), "/", "-"), "-")
		if name == "" {
			name = "overview"
		}
		t.Run(name, func(t *testing.T) {
			for _, frag := range []bool{false, true} {
				code, doc := fetch(t, a.URL+p, "", frag)
				if code != http.StatusOK {
					t.Fatalf("GET %s (fragment %v): %d %s", p, frag, code, doc)
				}
				if probs := checkHTML(doc); len(probs) > 0 {
					t.Errorf("GET %s (fragment %v) is not well formed: %v", p, frag, probs)
				}
			}
			b.open(p)
			if errs := b.takeErrs(); len(errs) > 0 {
				t.Errorf("console errors on %s: %v", p, errs)
			}
			b.screenshot(name)
		})
	}
}

func TestPhoneWidth(t *testing.T) {
	a := testagent.Start(t)
	seedCatalog(t, a, "")
	b := newBrowser(t, a.URL)
	b.run("phone viewport", viewport(375, 812))
	for _, p := range uiPages {
		b.open(p)
		wide := eval[int](b, `document.documentElement.scrollWidth`)
		if wide > 375 {
			t.Errorf("%s at 375 px is %d px wide: the page scrolls sideways", p, wide)
		}
	}
	b.open("/ui/services")
	b.screenshot("services-375")
}

func TestCheckFlipShowsLive(t *testing.T) {
	a := testagent.Start(t)
	seedCatalog(t, a, "")
	b := newBrowser(t, a.URL)
	b.open("/ui/services/web")
	eval[int](b, `window.orbitMarker = 1`)
	b.waitFor("TTL check critical", `document.querySelector('[data-check="web-ttl"][data-status="critical"]')`)
	put(t, a.URL+"/v1/agent/check/pass/web-ttl", "", "")
	took := b.waitFor("TTL check passing without a reload", `document.querySelector('[data-check="web-ttl"][data-status="passing"]')`)
	t.Logf("check flip shown %v after the write answered", took)
	if eval[bool](b, `window.orbitMarker !== 1`) {
		t.Error("the page reloaded to show the flip")
	}
}

// TestCheckHTML holds the checker itself to the mistakes it must find.
func TestCheckHTML(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want string // a part of the one problem expected; "" for none
	}{
		{`<p><label for="a">A</label><input id="a"></p>`, ""},
		{`<p><input id="a"><label for="a">A</label></p>`, ""},
		{`<label>A <input name="x"></label>`, ""},
		{`<input aria-label="A">`, ""},
		{`<input type="hidden" name="k">`, ""},
		{`<img src="x.png" alt="">`, ""},
		{`<svg role="img" aria-label="cpu"></svg>`, ""},
		{`<p><input id="a"></p>`, "field #a has no label"},
		{`<textarea name="v"></textarea>`, "neither an id"},
		{`<img src="x.png">`, "has no alt"},
		{`<svg role="img" id="c"></svg>`, "no aria-label"},
		{`<p id="x"></p><p id="x"></p>`, "duplicate id"},
		{`<div></p></div>`, "closes"},
		{`<div>`, "never closed"},
	} {
		probs := checkHTML(tc.doc)
		switch {
		case tc.want == "" && len(probs) > 0:
			t.Errorf("%s: unexpected %v", tc.doc, probs)
		case tc.want != "" && (len(probs) != 1 || !strings.Contains(probs[0], tc.want)):
			t.Errorf("%s: got %v, want one problem with %q", tc.doc, probs, tc.want)
		}
	}
}
