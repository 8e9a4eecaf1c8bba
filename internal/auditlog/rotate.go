package auditlog

import "strconv"

// step is one file operation of a rotation: rename From to To, or remove
// From when To is "".
type step struct {
	From, To string
}

// rotation is the steps that make room for a new current file at path
// while keeping maxFiles files in all: the oldest kept file is removed,
// each older one moves up a number, and the current file becomes path.1.
// The steps run in order; one on a file that does not exist is skipped.
func rotation(path string, maxFiles int) []step {
	name := func(i int) string {
		if i == 0 {
			return path
		}
		return path + "." + strconv.Itoa(i)
	}
	if maxFiles < 1 {
		maxFiles = 1
	}
	steps := []step{{From: name(maxFiles - 1)}}
	for i := maxFiles - 2; i >= 0; i-- {
		steps = append(steps, step{From: name(i), To: name(i + 1)})
	}
	return steps
}

// full reports whether a line of n bytes must go to a new file: when the
// current one holds size bytes and the line would take it past max. A line
// larger than max goes alone into a new file, never into an empty one
// rotated for nothing.
func full(size, n, max int64) bool {
	return size > 0 && size+n > max
}
