package policy

import (
	"fmt"
	"strings"

	"github.com/orbit/orbit/internal/job"
)

func checkPinnedImage(c *checker) {
	c.eachTask(func(_ *job.Group, t *job.Task, sc scope) {
		img, ok := t.Config.Get("image")
		if !ok || img.Kind != job.KindString || strings.Contains(img.Str, "${") {
			return
		}
		if pinned(img.Str) {
			return
		}
		c.report(sc, img.Pos, fmt.Sprintf("image %q of task %q is not pinned: name a version tag (%s:1.2.3) or a digest (%s@sha256:...) so that every node runs the same code",
			img.Str, t.Name, imageName(img.Str), imageName(img.Str)))
	})
}

// pinned reports whether an image reference names a digest or a tag other
// than latest.
func pinned(ref string) bool {
	if _, digest, ok := strings.Cut(ref, "@"); ok {
		return digest != ""
	}
	last := ref[strings.LastIndex(ref, "/")+1:]
	i := strings.LastIndex(last, ":")
	if i < 0 {
		return false
	}
	tag := last[i+1:]
	return tag != "" && tag != "latest"
}

// imageName strips the tag or digest off an image reference.
func imageName(ref string) string {
	if name, _, ok := strings.Cut(ref, "@"); ok {
		return name
	}
	slash := strings.LastIndex(ref, "/")
	if i := strings.LastIndex(ref, ":"); i > slash {
		return ref[:i]
	}
	return ref
}

func checkResources(c *checker) {
	c.eachTask(func(_ *job.Group, t *job.Task, sc scope) {
		r := t.Resources
		var missing []string
		if r == nil || (r.CPU <= 0 && r.Cores <= 0) {
			missing = append(missing, "cpu")
		}
		if r == nil || r.MemoryMB <= 0 {
			missing = append(missing, "memory")
		}
		if len(missing) == 0 {
			return
		}
		pos := t.Pos
		if r != nil {
			pos = r.Pos
		}
		c.report(sc, pos, fmt.Sprintf("task %q does not set %s: add resources { cpu = 100  memory = 128 } sized to what it uses, so that nodes are not overcommitted",
			t.Name, strings.Join(missing, " and ")))
	})
}
