package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ByteSize is a number of bytes. In YAML it is a plain integer (bytes) or
// a string with a unit: B, KiB, MiB, GiB (powers of 1024) or KB, MB, GB
// (powers of 1000), case-insensitive, with optional space: "10MiB",
// "512 KB".
type ByteSize int64

// Units of ByteSize.
const (
	KiB ByteSize = 1 << 10
	MiB ByteSize = 1 << 20
	GiB ByteSize = 1 << 30
	KB  ByteSize = 1000
	MB  ByteSize = 1000 * KB
	GB  ByteSize = 1000 * MB
)

var sizeUnits = map[string]ByteSize{
	"": 1, "b": 1,
	"kib": KiB, "mib": MiB, "gib": GiB,
	"kb": KB, "mb": MB, "gb": GB,
}

// parseByteSize parses a size such as "10MiB", "500 KB" or "1048576".
func parseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("invalid size %q: want a whole number of bytes, optionally followed by KiB, MiB, GiB, KB, MB or GB", s)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	unit, ok := sizeUnits[strings.ToLower(strings.TrimSpace(t[i:]))]
	if !ok {
		return 0, fmt.Errorf("invalid size %q: unknown unit %q (use KiB, MiB, GiB, KB, MB or GB)", s, strings.TrimSpace(t[i:]))
	}
	if n > math.MaxInt64/int64(unit) {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return ByteSize(n) * unit, nil
}

// UnmarshalYAML accepts an integer or a string with a unit.
func (b *ByteSize) UnmarshalYAML(unmarshal func(any) error) error {
	var v any
	if err := unmarshal(&v); err != nil {
		return err
	}
	switch v := v.(type) {
	case int64:
		*b = ByteSize(v)
	case uint64:
		if v > math.MaxInt64 {
			return fmt.Errorf("invalid size %d: too large", v)
		}
		*b = ByteSize(v)
	case int:
		*b = ByteSize(v)
	case string:
		n, err := parseByteSize(v)
		if err != nil {
			return err
		}
		*b = n
	default:
		return fmt.Errorf("invalid size %v: want an integer or a string such as \"10MiB\"", v)
	}
	return nil
}

// String formats b with the largest binary unit that divides it exactly.
func (b ByteSize) String() string {
	for _, u := range []struct {
		n    ByteSize
		name string
	}{{GiB, "GiB"}, {MiB, "MiB"}, {KiB, "KiB"}} {
		if b != 0 && b%u.n == 0 {
			return strconv.FormatInt(int64(b/u.n), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}
