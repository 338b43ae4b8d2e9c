package codec

import (
	"bytes"
	"encoding/binary"
	"math"
	"reflect"
	"strconv"
	"time"
)

// Interval is a PostgreSQL interval. Its three fields are independent, as on
// the server: a month is not a fixed number of days, nor a day of hours.
type Interval struct {
	Months       int32
	Days         int32
	Microseconds int64
}

// Duration converts an interval without months, counting a day as 24 hours;
// an interval with months, or beyond time.Duration's range, is an error.
func (iv Interval) Duration() (time.Duration, error) {
	if iv.Months != 0 {
		return 0, mismatch("interval with months has no fixed duration")
	}
	us := float64(iv.Days)*usPerDay + float64(iv.Microseconds)
	if us > math.MaxInt64/1000 || us < math.MinInt64/1000 {
		return 0, overflow("interval")
	}
	return time.Duration(int64(iv.Days)*usPerDay+iv.Microseconds) * time.Microsecond, nil
}

// String prints the interval as PostgreSQL does with IntervalStyle=postgres.
func (iv Interval) String() string { return string(appendIntervalText(nil, iv)) }

func intervalCodec() Codec {
	return &builtin{
		oid: OIDInterval, name: "interval", goType: reflect.TypeFor[time.Duration](),
		decodeBinary: func(src []byte, _ *Options) (any, error) {
			if len(src) != 16 {
				return nil, invalid("interval", "binary length %d, want 16", len(src))
			}
			return Interval{
				Microseconds: int64(binary.BigEndian.Uint64(src)),
				Days:         int32(binary.BigEndian.Uint32(src[8:])),
				Months:       int32(binary.BigEndian.Uint32(src[12:])),
			}, nil
		},
		decodeText: func(src []byte, _ *Options) (any, error) {
			iv, ok := parseIntervalText(src)
			if !ok {
				return nil, invalid("interval", "text value %q", src)
			}
			return iv, nil
		},
		encodeBinary: func(buf []byte, v any, _ *Options) ([]byte, bool, error) {
			iv, ok := toInterval(v)
			if !ok {
				return buf, false, nil
			}
			buf = binary.BigEndian.AppendUint64(buf, uint64(iv.Microseconds))
			buf = binary.BigEndian.AppendUint32(buf, uint32(iv.Days))
			return binary.BigEndian.AppendUint32(buf, uint32(iv.Months)), true, nil
		},
		appendText: func(buf []byte, v any, _ *Options) ([]byte, error) {
			iv, ok := toInterval(v)
			if !ok {
				return buf, cantEncode(v, "interval")
			}
			return appendIntervalText(buf, iv), nil
		},
	}
}

func toInterval(v any) (Interval, bool) {
	switch x := v.(type) {
	case Interval:
		return x, true
	case time.Duration:
		// Round to the microsecond as the server rounds text input.
		return Interval{Microseconds: x.Round(time.Microsecond).Microseconds()}, true
	}
	return Interval{}, false
}

// appendIntervalText follows PostgreSQL's EncodeInterval for the postgres
// style: years and months split from Months, each non-zero part with its
// own sign, and a '+' on a positive part that follows a negative one.
func appendIntervalText(buf []byte, iv Interval) []byte {
	zero, before := true, false
	part := func(v int64, unit string) {
		if v == 0 {
			return
		}
		if !zero {
			buf = append(buf, ' ')
		}
		if before && v > 0 {
			buf = append(buf, '+')
		}
		buf = strconv.AppendInt(buf, v, 10)
		buf = append(buf, ' ')
		buf = append(buf, unit...)
		if v != 1 {
			buf = append(buf, 's')
		}
		before, zero = v < 0, false
	}
	part(int64(iv.Months/12), "year")
	part(int64(iv.Months%12), "mon")
	part(int64(iv.Days), "day")
	us := iv.Microseconds
	if zero || us != 0 {
		if !zero {
			buf = append(buf, ' ')
		}
		// Magnitude as uint64: the minimum int64 has no positive twin.
		mag := uint64(us)
		if us < 0 {
			buf = append(buf, '-')
			mag = -mag
		} else if before {
			buf = append(buf, '+')
		}
		h := mag / (3600 * usPerSec)
		if h < 10 {
			buf = append(buf, '0')
		}
		buf = strconv.AppendUint(buf, h, 10)
		buf = append(buf, ':')
		rest := mag % (3600 * usPerSec)
		buf = appendPadded(buf, int(rest/(60*usPerSec)), 2)
		buf = append(buf, ':')
		buf = appendPadded(buf, int(rest/usPerSec%60), 2)
		if frac := int(rest % usPerSec); frac != 0 {
			buf = append(buf, '.')
			n := len(buf)
			buf = appendPadded(buf, frac, 6)
			for len(buf) > n && buf[len(buf)-1] == '0' {
				buf = buf[:len(buf)-1]
			}
		}
	}
	return buf
}

// parseIntervalText reads the postgres IntervalStyle: "N unit" pairs
// (year, mon, day, each optionally plural) and a [+-]H:MM:SS[.f] part.
func parseIntervalText(src []byte) (Interval, bool) {
	var iv Interval
	fields := bytes.Fields(src)
	if len(fields) == 0 {
		return iv, false
	}
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if bytes.IndexByte(f, ':') >= 0 {
			us, ok := parseIntervalClock(f)
			if !ok || iv.Microseconds != 0 {
				return iv, false
			}
			iv.Microseconds = us
			continue
		}
		if i+1 >= len(fields) {
			return iv, false
		}
		n, err := parseIntBytes(f, 32)
		if err != nil {
			return iv, false
		}
		i++
		var total int64
		switch string(bytes.TrimSuffix(fields[i], []byte("s"))) {
		case "year":
			total = int64(iv.Months) + n*12
		case "mon":
			total = int64(iv.Months) + n
		case "day":
			total = int64(iv.Days) + n
			if total > math.MaxInt32 || total < math.MinInt32 {
				return iv, false
			}
			iv.Days = int32(total)
			continue
		default:
			return iv, false
		}
		if total > math.MaxInt32 || total < math.MinInt32 {
			return iv, false
		}
		iv.Months = int32(total)
	}
	return iv, true
}

func parseIntervalClock(f []byte) (int64, bool) {
	neg := false
	if len(f) > 0 && (f[0] == '-' || f[0] == '+') {
		neg = f[0] == '-'
		f = f[1:]
	}
	i := bytes.IndexByte(f, ':')
	if i < 1 || len(f) < i+6 || f[i+3] != ':' {
		return 0, false
	}
	h, err := parseUintDigits(f[:i], math.MaxInt64/(3600*usPerSec))
	if err != nil {
		return 0, false
	}
	m, ok1 := two(f[i+1:])
	s, ok2 := two(f[i+4:])
	if !ok1 || !ok2 || m > 59 || s > 59 {
		return 0, false
	}
	us := int64(h)*3600*usPerSec + int64(m)*60*usPerSec + int64(s)*usPerSec
	rest := f[i+6:]
	if len(rest) > 0 {
		if rest[0] != '.' || len(rest) == 1 || len(rest) > 7 {
			return 0, false
		}
		scale := int64(100_000)
		for _, c := range rest[1:] {
			if !isDigit(c) {
				return 0, false
			}
			us += int64(c-'0') * scale
			scale /= 10
		}
	}
	if us < 0 {
		return 0, false
	}
	if neg {
		us = -us
	}
	return us, true
}
