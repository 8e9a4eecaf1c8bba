package ui_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// stop is one element the Tab key reached.
type stop struct {
	Key     string `json:"key"`     // what the element is: "a /ui/nodes", "input #q", "button Save"
	Visible bool   `json:"visible"` // it shows a focus ring (an outline of some width)
	InView  bool   `json:"inView"`  // it is on screen, not moved off it
}

// describeFocus names the focused element and says whether its focus is
// visible; "" is nothing focused (the document).
const describeFocus = `(function () {
  var e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) { return {key: "", visible: false, inView: false}; }
  var k = e.tagName.toLowerCase();
  if (e.id) { k += " #" + e.id; }
  else if (e.getAttribute("href")) { k += " " + e.getAttribute("href"); }
  else { k += " " + e.textContent.trim(); }
  var cs = getComputedStyle(e), r = e.getBoundingClientRect();
  var ring = cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 2;
  return {key: k, visible: ring && e.matches(":focus-visible"),
    inView: r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0 && r.left < innerWidth};
})()`

// tabWalk presses Tab from the top of the page until the focus leaves the
// document or comes back to the first stop, and returns the stops in order.
func (b *browser) tabWalk() []stop {
	b.t.Helper()
	eval[bool](b, `(document.activeElement && document.activeElement.blur(), true)`)
	var stops []stop
	for range 400 {
		b.run("tab", chromedp.KeyEvent(kb.Tab))
		s := eval[stop](b, describeFocus)
		if s.Key == "" || (len(stops) > 0 && s.Key == stops[0].Key) {
			return stops
		}
		stops = append(stops, s)
	}
	b.t.Fatalf("Tab did not come back to the start in 400 presses: %v", stops)
	return nil
}

// pressEnterOn tabs from the top of the page to the element whose key is
// want and presses Enter on it.
func (b *browser) pressEnterOn(want string) {
	b.t.Helper()
	eval[bool](b, `(document.activeElement && document.activeElement.blur(), true)`)
	for range 400 {
		b.run("tab", chromedp.KeyEvent(kb.Tab))
		if s := eval[stop](b, describeFocus); s.Key == want {
			b.run("enter on "+want, chromedp.KeyEvent(kb.Enter))
			return
		}
	}
	b.t.Fatalf("Tab never reached %q", want)
}

// wantedStops lists what the keyboard must reach on the page shown: every
// navigation link, the filter box, every sort header, every enabled
// button and every link of the content.
const wantedStops = `(function () {
  var out = [];
  var key = function (e) {
    var k = e.tagName.toLowerCase();
    if (e.id) { return k + " #" + e.id; }
    if (e.getAttribute("href")) { return k + " " + e.getAttribute("href"); }
    return k + " " + e.textContent.trim();
  };
  document.querySelectorAll(".nav a, #q, th a, #content button:not([disabled]):not([hidden]), #content a[href], #content summary")
    .forEach(function (e) { if (e.offsetParent !== null) { out.push(key(e)); } });
  return out;
})()`

func TestKeyboardNavigation(t *testing.T) {
	a := testagent.Start(t)
	seedCatalog(t, a, "")
	b := newBrowser(t, a.URL)
	for _, p := range []string{"/ui/services", "/ui/services/web", "/ui/nodes", "/ui/kv/", "/ui/kv/app/config", "/ui/jobs", "/ui/jobs/-run", "/ui/edge", "/ui/dns", "/ui/acl", "/ui/monitoring", "/ui/"} {
		b.open(p)
		want := eval[[]string](b, wantedStops)
		stops := b.tabWalk()
		t.Logf("%s: %d tab stops", p, len(stops))
		reached := map[string]bool{}
		for i, s := range stops {
			reached[s.Key] = true
			if !s.Visible {
				t.Errorf("%s: tab stop %d (%s) shows no focus ring", p, i, s.Key)
			}
			if !s.InView {
				t.Errorf("%s: tab stop %d (%s) is focused off screen", p, i, s.Key)
			}
		}
		if len(stops) == 0 || stops[0].Key != "a #main" {
			t.Errorf("%s: the first tab stop is not the skip link: %v", p, stops)
		}
		for _, w := range want {
			if !reached[w] {
				t.Errorf("%s: Tab never reaches %q", p, w)
			}
		}
		for _, must := range []string{"a /ui/nodes", "a /ui/acl", "input #token"} {
			if !reached[must] {
				t.Errorf("%s: Tab never reaches %q", p, must)
			}
		}
	}

	// Enter follows a navigation link.
	b.open("/ui/services")
	b.pressEnterOn("a /ui/nodes")
	b.waitFor("the nodes page after Enter", `location.pathname === "/ui/nodes" && document.body.dataset.loaded`)

	// Enter on a sort header sorts the list.
	b.open("/ui/services")
	head := eval[string](b, `document.querySelector("th a").getAttribute("href")`)
	b.pressEnterOn("a " + head)
	b.waitFor("sorted after Enter", `location.search.includes("sort=") && document.querySelector("th[aria-sort=ascending], th[aria-sort=descending]") && document.body.dataset.loaded`)

	// Enter on the skip link moves the focus to the content.
	b.open("/ui/services")
	b.pressEnterOn("a #main")
	b.waitFor("main focused", `document.activeElement && document.activeElement.id === "main"`)

	// Enter on a button activates it: save a KV value with the keyboard.
	b.open("/ui/kv/app/config")
	b.run("type a value", chromedpSetValue("#kv-value", "typed"))
	b.pressEnterOn("button Save")
	b.waitFor("saved with Enter", `document.getElementById("flash").className.includes("good")`)
	if _, body := fetch(t, a.URL+"/v1/kv/app/config?raw", "", false); body != "typed" {
		t.Fatalf("Enter on Save did not write: key holds %q", body)
	}

	// The filter box takes typing and Enter does not reload the page.
	b.open("/ui/services")
	eval[int](b, `window.orbitMarker = 2`)
	b.run("focus filter", chromedp.Focus(chromedp.ID("q")), chromedp.KeyEvent("api"+kb.Enter))
	b.waitFor("filtered", `location.search.includes("q=api") && !document.querySelector('[data-service="web"]') && document.querySelector('[data-service="api"]')`)
	if eval[bool](b, `window.orbitMarker !== 2`) {
		t.Error("Enter in the filter box reloaded the page")
	}
	if errs := b.takeErrs(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

// TestFocusSurvivesLiveUpdate checks that a keyboard user keeps their
// place when the content is re-rendered by a live update.
func TestFocusSurvivesLiveUpdate(t *testing.T) {
	a := testagent.Start(t)
	seedCatalog(t, a, "")
	b := newBrowser(t, a.URL)
	b.open("/ui/services")
	b.pressEnterOn("a #main")
	b.waitFor("main focused", `document.activeElement && document.activeElement.id === "main"`)
	// Tab into the list to the link of the web service.
	for range 50 {
		b.run("tab", chromedp.KeyEvent(kb.Tab))
		if eval[stop](b, describeFocus).Key == "a /ui/services/web" {
			break
		}
	}
	if k := eval[stop](b, describeFocus).Key; k != "a /ui/services/web" {
		t.Fatalf("Tab from the content did not reach the web service's link (at %q)", k)
	}
	eval[int](b, `(window.orbitOld = document.activeElement, 1)`)
	put(t, a.URL+"/v1/agent/service/register", "", `{"Name":"zzz","ID":"zzz1","Port":21002}`)
	b.waitFor("the new service shown", `document.querySelector('[data-service="zzz"]')`)
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	replaced, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.body.contains(window.orbitOld)`))
	if err != nil {
		t.Fatal(err)
	}
	if !replaced {
		t.Fatal("the content was not re-rendered: the test proves nothing")
	}
	if s := eval[stop](b, describeFocus); s.Key != "a /ui/services/web" || !s.Visible {
		t.Errorf("after a live update the focus is on %+v, want the same link with its ring", s)
	}
}
