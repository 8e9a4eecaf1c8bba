// Package ui_test drives orbit's web UI in a real browser (Debian's
// chromium, headless, through github.com/chromedp/chromedp) against whole
// agents started in process. It skips, saying so, when no chromium is
// installed. Screenshots of every page go to $ORBIT_UI_SCREENSHOTS, or to a
// temporary folder whose path the test logs.
package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser is one headless chromium with its console errors.
type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string // http://host:port of the agent
	shots string
	mu    sync.Mutex
	errs  []string // guarded by mu
}

// chromiumPath finds Debian's chromium (or another Chrome) on PATH.
func chromiumPath() string {
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts chromium for the agent at base; it skips the test when
// chromium is absent. Every console error, uncaught exception and browser
// log error (a failed load, a refused script) is collected.
func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	bin := chromiumPath()
	if bin == "" {
		t.Skip("chromium is not installed (apt-get install chromium): the browser tests need it")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox, // CI runs as root, where chromium's sandbox refuses to start
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	b := &browser{t: t, ctx: ctx, base: base, shots: screenshotDir(t)}
	// The first Do starts chromium; it must not carry a timeout (that would
	// stop the browser with it).
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		cancelC()
		cancelA()
		t.Fatalf("start chromium %s: %v", bin, err)
	}
	msgs := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.addErr(fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line))
			}
		}
	}()
	t.Cleanup(func() {
		cancelC()
		cancelA()
		<-done
	})
	return b
}

func screenshotDir(t *testing.T) string {
	if d := os.Getenv("ORBIT_UI_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := t.TempDir()
	t.Logf("screenshots in %s (set ORBIT_UI_SCREENSHOTS to keep them)", d)
	return d
}

func (b *browser) addErr(s string) {
	b.mu.Lock()
	b.errs = append(b.errs, s)
	b.mu.Unlock()
}

// takeErrs returns and forgets the console errors seen so far.
func (b *browser) takeErrs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.errs
	b.errs = nil
	return e
}

// run runs steps with a generous deadline.
func (b *browser) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// loaded waits until the script swapped a page's content in.
func loaded() chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(`body[data-loaded]`))
}

// open navigates to a UI path and waits until its content was loaded.
func (b *browser) open(path string) {
	b.t.Helper()
	b.run("open "+path, chromedp.Navigate(b.base+path), loaded())
}

// setToken logs in through the token box at the top of every page.
func (b *browser) setToken(tok string) {
	b.t.Helper()
	b.run("set token", chromedp.Navigate(b.base+"/ui/"), chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), tok), chromedp.Click(chromedp.CSS(`#login button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#logout:not([hidden])`)), loaded())
}

// eval evaluates a JavaScript expression.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("eval %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds (generous deadline:
// the machine may be loaded) and returns how long it took.
func (b *browser) waitFor(what, expr string) time.Duration {
	b.t.Helper()
	start := time.Now()
	for {
		// A navigation in progress fails the evaluation: poll again.
		ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return time.Since(start)
		}
		if time.Since(start) > 45*time.Second {
			b.t.Fatalf("%s: not seen in 45s; content:\n%s", what, eval[string](b, `document.getElementById("main").innerText.slice(0, 2000)`))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// screenshot saves the whole page as name.png.
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return p
}

// viewport emulates a screen of w x h CSS pixels.
func viewport(w, h int64) chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(w, h, chromedp.EmulateScale(1))
}

// chromedpSetValue sets a form field's value as typing would, marking the
// form edited.
func chromedpSetValue(sel, val string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.SetValue(chromedp.CSS(sel), val),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`(function(){var e=document.querySelector(`+jsString(sel)+`);e.dispatchEvent(new Event("input",{bubbles:true}));return true})()`)(ctx, t)
			return err
		}))
}

func chromedpClick(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(chromedp.CSS(sel))
}

// evalAwait evaluates an expression that gives a promise and waits for it.
func evalAwait[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("eval %s: %v", expr, err)
	}
	return v
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
