package auditlog

import (
	"errors"
	"fmt"
)

// Defaults of Config's zero values.
const (
	DefaultMaxSize  = 64 << 20 // bytes
	DefaultMaxFiles = 5
)

// Config is where the log goes and how much of it is kept.
type Config struct {
	// Path is the current file; rotated files are Path.1 (newest) to
	// Path.N-1. Required.
	Path string
	// MaxSize is the size in bytes a file may reach before the next line
	// goes to a new one; 0 is DefaultMaxSize.
	MaxSize int64
	// MaxFiles is how many files are kept, the current one included; 0 is
	// DefaultMaxFiles. With 1, rotation empties the file.
	MaxFiles int
}

// Validate reports a config that cannot be used.
func (c Config) Validate() error {
	switch {
	case c.Path == "":
		return errors.New("audit: path is required")
	case c.MaxSize < 0:
		return fmt.Errorf("audit: max size %d: want a positive size", c.MaxSize)
	case c.MaxFiles < 0:
		return fmt.Errorf("audit: max_files %d: want at least 1", c.MaxFiles)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.MaxSize == 0 {
		c.MaxSize = DefaultMaxSize
	}
	if c.MaxFiles == 0 {
		c.MaxFiles = DefaultMaxFiles
	}
	return c
}
